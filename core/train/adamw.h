// AdamW (Loshchilov & Hutter) exactly as torch.optim.AdamW computes it, with per-tensor state
// kept by name so tensors that leave and re-enter the selection keep their moments, and a
// side-effect-free preview of the update (the importance pass's Δw, GREENTRAINER.md §3).
#pragma once
#include <torch/types.h>

#include <map>
#include <string>
#include <vector>

namespace gt {

struct AdamWOptions {
  double lr = 2e-5;
  double beta1 = 0.9;
  double beta2 = 0.999;
  double eps = 1e-8;
  double weightDecay = 0.01;
  // On CUDA with LibTorch >= 2.1, update with the fused kernel (at::_fused_adamw_, one launch for
  // all tensors) instead of the _foreach_ ops; same arithmetic, rounding within fp32 tolerance.
  bool fused = true;
};

class AdamW {
 public:
  AdamW(std::vector<std::pair<std::string, torch::Tensor>> params, AdamWOptions options);

  // Updates every parameter that has a gradient; others (and their state) are left untouched.
  void step();
  void zeroGrad();
  void setLr(double lr) { options_.lr = lr; }
  double lr() const { return options_.lr; }

  // The update step() would apply to `name` given `grad`, without changing anything.
  torch::Tensor previewUpdate(const std::string& name, const torch::Tensor& grad) const;

  struct State {
    torch::Tensor expAvg, expAvgSq;
    int64_t step = 0;
    torch::Tensor stepOnDevice;  // the fused kernel's copy of `step` (float32 scalar on the tensor's device)
  };
  // Whether step() uses the fused kernel for these parameters (LibTorch >= 2.1, all on one CUDA
  // device, one floating dtype, options.fused).
  bool usesFusedKernel() const;
  const std::map<std::string, State>& state() const { return state_; }
  // Replaces the moments (resuming a run); names must be parameters of this optimizer.
  void setState(std::map<std::string, State> state) { state_ = std::move(state); }
  void setFused(bool fused) { options_.fused = fused; }
  const std::vector<std::pair<std::string, torch::Tensor>>& params() const { return params_; }

  // The moments as checkpoints store them, one pair of tensors per parameter with state:
  // expAvgKey(name) and expAvgSqKey(name) ("exp_avg.NAME", "exp_avg_sq.NAME").
  std::vector<std::pair<std::string, torch::Tensor>> momentTensors() const;
  static std::string expAvgKey(const std::string& name) { return "exp_avg." + name; }
  static std::string expAvgSqKey(const std::string& name) { return "exp_avg_sq." + name; }

 private:

  std::vector<std::pair<std::string, torch::Tensor>> params_;
  AdamWOptions options_;
  std::map<std::string, State> state_;
};

}  // namespace gt
