// Tensor importance (GREENTRAINER.md §3, paper Eq. 5-6): I_k = -sum_{w in k} Δw · ∂L/∂w, with Δw
// the update one AdamW step would make on this batch, and the gradient taken at w + Δw (default)
// or at w. Scaled by max_k |I_k|. Weights, gradients and optimizer state are exactly as before.
#pragma once
#include <string>
#include <vector>

#include "core/green/flops_profiler.h"
#include "core/model/language_model.h"
#include "core/train/adamw.h"
#include "core/train/batch.h"

namespace gt {

struct ImportanceOptions {
  std::string metric = "update_x_grad";  // update_x_grad | update | grad (paper Table 5)
  std::string gradAt = "update";         // update (w + Δw) | current (w)
};

struct ImportanceResult {
  std::vector<double> raw;     // chain order; 0 at and below the cutoff
  std::vector<double> scaled;  // raw / max |raw|
  size_t cutoff = 0;           // tensors [cutoff, N) were not evaluated (early stop, Eq. 8)
  double loss = 0;             // loss at w (the mean over the batches)
  int64_t peakExtraBytes = -1; // process peak RSS during the pass above the RSS before it
  double timeMs = 0;
};

// The first chain position whose reach alone exceeds the budget rho*T_full - T_fp (Eq. 8).
size_t earlyStopCutoff(const FlopsProfile& profile, double rho);

ImportanceResult computeImportance(LanguageModel& model, const AdamW& optimizer, const FlopsProfile& profile, size_t cutoff,
                                   const Batch& batch, const ImportanceOptions& options);
// The same on several batches taken as one larger batch: the gradients (at w, and at w + Δw) are
// those of the mean of the batches' losses, and Δw is the AdamW update for that mean gradient.
// A steadier estimate than one batch's, at one importance pass per batch.
ImportanceResult computeImportance(LanguageModel& model, const AdamW& optimizer, const FlopsProfile& profile, size_t cutoff,
                                   const std::vector<Batch>& batches, const ImportanceOptions& options);

}  // namespace gt
