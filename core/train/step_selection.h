// What the next steps train, for the methods whose mask changes during a run:
// - GreenTrainer's re-selection (GREENTRAINER.md §3-4): the importance of every tensor on the step's
//   batch(es) (paper Eq. 5-6, the importance backward stopped early by Eq. 8), then the DP's mask
//   under rho's budget (Eq. 4);
// - LISA's and BAdam's switch to the next round of their layer schedules (layer_schedules.h).
// Each gives the mask and the SelectionRecord run.json keeps of it.
#pragma once
#include <vector>

#include "core/green/flops_profiler.h"
#include "core/model/language_model.h"
#include "core/report/run_record.h"
#include "core/train/adamw.h"
#include "core/train/batch.h"
#include "core/train/run_config.h"

namespace gt {

struct StepSelection {
  std::vector<bool> mask;  // chain order of `reference`
  SelectionRecord record;
};

// GreenTrainer at (epoch, step) with budget rho. `batches`: the importance batches, on the device, the
// step's own first. The optimizer's learning rate must be this step's (Δw uses it); the weights and
// AdamW's state are left exactly as they were. `precision`: the run's (the pass runs in it).
StepSelection greenTrainerSelection(LanguageModel& model, const AdamW& optimizer, const std::vector<Batch>& batches, const RunConfig& config,
                                    const std::string& precision, double rho, const FlopsProfile& reference, int64_t epoch, int64_t step);

// LISA's or BAdam's mask for `round` (= step / switch interval); config.method says which.
StepSelection layerScheduleSelection(const RunConfig& config, const FlopsProfile& reference, int64_t numLayers, int64_t round, int64_t epoch,
                                     int64_t step);

}  // namespace gt
