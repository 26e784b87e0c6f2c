#include "core/train/adamw.h"

#include <ATen/ops/_foreach_add.h>
#include <ATen/ops/_foreach_addcdiv.h>
#include <ATen/ops/_foreach_addcmul.h>
#include <ATen/ops/_foreach_div.h>
#include <ATen/ops/_foreach_mul.h>
#include <ATen/ops/_foreach_sqrt.h>
#include <torch/version.h>

#if TORCH_VERSION_MAJOR > 2 || (TORCH_VERSION_MAJOR == 2 && TORCH_VERSION_MINOR >= 1)
#include <ATen/ops/_fused_adamw.h>
#define GT_HAVE_FUSED_ADAMW 1
#endif

#include <cmath>

namespace gt {

AdamW::AdamW(std::vector<std::pair<std::string, torch::Tensor>> params, AdamWOptions options)
    : params_(std::move(params)), options_(options) {}

// All tensors with a gradient are updated together with the multi-tensor (_foreach_) ops: on
// CUDA a handful of kernel launches per step instead of eight per tensor, on the CPU the same
// per-tensor arithmetic. The operations and their order are those of torch.optim.AdamW's
// single-tensor path, so results match it (tests/test_trainer compares with the per-tensor form).
void AdamW::step() {
  torch::NoGradGuard noGrad;
  const auto& o = options_;
  std::vector<torch::Tensor> ps, gs, ms, vs, deviceSteps;
  std::vector<at::Scalar> rootBc2, stepSize;
  std::vector<const std::string*> names;
  std::vector<int64_t> steps;
  for (auto& [name, p] : params_) {
    if (!p.grad().defined()) continue;
    auto it = state_.find(name);
    const int64_t step = (it != state_.end() ? it->second.step : 0) + 1;
    ps.push_back(p);
    gs.push_back(p.grad());
    ms.push_back(it != state_.end() ? it->second.expAvg : torch::zeros_like(p));
    vs.push_back(it != state_.end() ? it->second.expAvgSq : torch::zeros_like(p));
    deviceSteps.push_back(it != state_.end() ? it->second.stepOnDevice : torch::Tensor());
    rootBc2.emplace_back(std::sqrt(1 - std::pow(o.beta2, double(step))));
    stepSize.emplace_back(-o.lr / (1 - std::pow(o.beta1, double(step))));
    names.push_back(&name);
    steps.push_back(step);
  }
  if (ps.empty()) return;
#ifdef GT_HAVE_FUSED_ADAMW
  if (usesFusedKernel()) {
    // The kernel reads each tensor's step count from a float32 scalar on the device (as
    // torch.optim.AdamW(fused=True) keeps it) and, like torch, expects it already incremented.
    std::vector<torch::Tensor> increment;
    for (size_t i = 0; i < ps.size(); ++i) {
      if (deviceSteps[i].defined()) increment.push_back(deviceSteps[i]);
      else deviceSteps[i] = torch::full({}, double(steps[i]), torch::TensorOptions().dtype(torch::kFloat32).device(ps[i].device()));
    }
    if (!increment.empty()) at::_foreach_add_(increment, 1);
    at::_fused_adamw_(ps, gs, ms, vs, at::TensorList(), deviceSteps, o.lr, o.beta1, o.beta2, o.weightDecay, o.eps,
                      /*amsgrad=*/false, /*maximize=*/false, c10::nullopt, c10::nullopt);
    for (size_t i = 0; i < ps.size(); ++i) state_[*names[i]] = {ms[i], vs[i], steps[i], deviceSteps[i]};
    return;
  }
#endif
  // Two-stage like torch: decay the weight, then apply the Adam step computed from the gradient.
  at::_foreach_mul_(ps, 1 - o.lr * o.weightDecay);
  at::_foreach_mul_(ms, o.beta1);
  at::_foreach_add_(ms, gs, 1 - o.beta1);
  at::_foreach_mul_(vs, o.beta2);
  at::_foreach_addcmul_(vs, gs, gs, 1 - o.beta2);
  auto denom = at::_foreach_sqrt(vs);
  at::_foreach_div_(denom, rootBc2);
  at::_foreach_add_(denom, o.eps);
  at::_foreach_addcdiv_(ps, ms, denom, stepSize);
  for (size_t i = 0; i < ps.size(); ++i) state_[*names[i]] = {ms[i], vs[i], steps[i], {}};
}

bool AdamW::usesFusedKernel() const {
#ifdef GT_HAVE_FUSED_ADAMW
  if (!options_.fused || params_.empty()) return false;
  const auto& first = params_.front().second;
  if (!first.is_cuda() || !first.is_floating_point()) return false;
  for (const auto& [_, p] : params_)
    if (p.device() != first.device() || p.scalar_type() != first.scalar_type()) return false;
  return true;
#else
  return false;
#endif
}

void AdamW::zeroGrad() {
  for (auto& [_, p] : params_) p.mutable_grad() = torch::Tensor();
}

torch::Tensor AdamW::previewUpdate(const std::string& name, const torch::Tensor& grad) const {
  torch::NoGradGuard noGrad;
  const auto& o = options_;
  auto it = state_.find(name);
  const State* state = it != state_.end() ? &it->second : nullptr;
  for (const auto& [n, p] : params_) {
    if (n != name) continue;
    const int64_t step = (state ? state->step : 0) + 1;
    auto m = (state ? state->expAvg * o.beta1 : torch::zeros_like(p)).add_(grad, 1 - o.beta1);
    auto v = (state ? state->expAvgSq * o.beta2 : torch::zeros_like(p)).addcmul_(grad, grad, 1 - o.beta2);
    const double bc1 = 1 - std::pow(o.beta1, double(step));
    const double bc2 = 1 - std::pow(o.beta2, double(step));
    auto denom = (v.sqrt() / std::sqrt(bc2)).add_(o.eps);
    // What step() does: p * (1 - lr*wd), then - lr/bc1 * m/denom.
    return p * (-o.lr * o.weightDecay) - m / denom * (o.lr / bc1);
  }
  return {};
}

std::vector<std::pair<std::string, torch::Tensor>> AdamW::momentTensors() const {
  std::vector<std::pair<std::string, torch::Tensor>> out;
  for (const auto& [name, s] : state_) {
    out.emplace_back(expAvgKey(name), s.expAvg);
    out.emplace_back(expAvgSqKey(name), s.expAvgSq);
  }
  return out;
}

}  // namespace gt
