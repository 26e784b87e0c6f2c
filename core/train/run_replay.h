// Events of a run rebuilt from its record: what a resumed run tells its observer about the steps
// its earlier sessions made (selections, steps, validation, epochs, ROUGE), in the order they
// happened, so a viewer that joins at the resume shows the whole run.
#pragma once
#include <vector>

#include "core/green/flops_profiler.h"
#include "core/report/run_record.h"
#include "core/train/run_observer.h"

namespace gt {

// The observer event of a selection record; dw/reach from the reference chain.
SelectionEvent selectionEventOf(const SelectionRecord& s, const std::vector<bool>& mask, const FlopsProfile& reference);

// Replays `record` to `observer`: every selection up to step `resumedSteps - 1`, every step, each
// finished epoch's validation and end, and every generation evaluation. `gtRho`: whether step
// events carry the selection's rho (GreenTrainer) or 1.
void replayRecord(const RunRecord& record, const FlopsProfile& reference, int64_t totalSteps, int64_t resumedSteps, int64_t evalExamples,
                  bool gtRho, RunObserver& observer);

}  // namespace gt
