// Training precision, named as Lightning's `precision=` and Hugging Face's --bf16 name it:
//   fp32        fp32 weights, AdamW state and compute.
//   bf16-mixed  fp32 master weights and AdamW state; forward and backward under LibTorch autocast
//               in bfloat16 (matmuls in bf16; loss and attention softmax in fp32).
//   fp16-mixed  the same in float16, with dynamic loss scaling (torch.amp.GradScaler's rule: a step
//               whose gradients hold inf/NaN is skipped and the scale halved; 2000 good steps in a
//               row double it).
//   bf16-true / fp16-true
//               weights and AdamW state in 16 bits: fastest, but small updates vanish in bf16
//               (the loss falls visibly slower); kept for memory-bound runs.
#pragma once
#include <torch/types.h>

#include <string>
#include <vector>

#include "core/model/autocast_state.h"
#include "core/train/adamw.h"
#include "core/train/run_config.h"

namespace gt {

// Checks a precision name (auto, fp32, bf16-mixed, fp16-mixed, bf16-true, fp16-true) and that a
// dtype name other than the default float32 agrees with it (only the -true precisions keep the
// weights in 16 bits). gt::Error naming --precision / --dtype otherwise.
void checkPrecisionName(const std::string& precision, const std::string& dtype);
// The precision to run in: `precision`, or for "auto" bf16-mixed on a CUDA device that runs
// bfloat16 matmuls, the -true precision of a 16-bit `dtype`, else fp32. Throws gt::Error for a
// name checkPrecisionName refuses and for a precision the device cannot run (fp16-mixed on a CPU
// build without float16 autocast).
std::string resolvePrecision(const std::string& precision, const std::string& dtype, const std::string& device);
// The same for a run's settings.
std::string resolvePrecision(const RunConfig& config);
// The weights' dtype name for a precision ("float32", "bfloat16", "float16").
std::string weightsDtype(const std::string& precision);
bool isMixedPrecision(const std::string& precision);

// Autocast on the run's device for the lifetime of the guard when `precision` is a mixed one
// (nothing otherwise); the autocast cache is cleared when the outermost guard ends, as torch.autocast does.
class AutocastGuard {
 public:
  // weightsChangeInside: the region updates weights in place (the importance pass evaluates at
  // w + Δw); autocast's cache of 16-bit weight copies, keyed by tensor and blind to in-place
  // changes, is then off so every use casts the current values.
  AutocastGuard(const std::string& precision, const torch::Device& device, bool weightsChangeInside = false);
  ~AutocastGuard();
  AutocastGuard(const AutocastGuard&) = delete;
  AutocastGuard& operator=(const AutocastGuard&) = delete;

 private:
  bool active_ = false;
  bool cuda_ = false;
  bool wasCaching_ = true;
  AutocastState previous_;
};

// Dynamic loss scaling for fp16-mixed (disabled, scale 1, for every other precision).
class LossScaler {
 public:
  explicit LossScaler(bool enabled, double initialScale = 65536.0, int64_t growthInterval = 2000)
      : enabled_(enabled), scale_(enabled ? initialScale : 1.0), growthInterval_(growthInterval) {}
  bool enabled() const { return enabled_; }
  double scale() const { return scale_; }
  int64_t goodSteps() const { return goodSteps_; }
  void restore(double scale, int64_t goodSteps) {
    if (enabled_) scale_ = scale, goodSteps_ = goodSteps;
  }
  // The loss to call backward() on.
  torch::Tensor scaled(const torch::Tensor& loss) const { return enabled_ ? loss * scale_ : loss; }
  // Divides the gradients of `params` by the scale; false when any of them holds inf or NaN.
  bool unscale(const std::vector<std::pair<std::string, torch::Tensor>>& params) const;
  // After a step: halve the scale on overflow, double it after growthInterval good steps.
  void update(bool finite);

 private:
  bool enabled_;
  double scale_;
  int64_t growthInterval_;
  int64_t goodSteps_ = 0;
};

// One optimizer step with loss scaling: unscale, skip the update (weights and AdamW state
// untouched) when a gradient overflowed, update the scale. Returns whether the step was applied.
bool scaledOptimizerStep(AdamW& optimizer, LossScaler& scaler);

}  // namespace gt
