#include "core/train/adamw.h"

#include <cmath>

namespace gt {

AdamW::AdamW(std::vector<std::pair<std::string, torch::Tensor>> params, AdamWOptions options)
    : params_(std::move(params)), options_(options) {}

void AdamW::step() {
  torch::NoGradGuard noGrad;
  for (auto& [name, p] : params_) {
    if (!p.grad().defined()) continue;
    auto it = state_.find(name);
    State next;
    // Two-stage like torch: decay the weight, then apply the Adam step computed from the gradient.
    const auto& o = options_;
    const int64_t step = (it != state_.end() ? it->second.step : 0) + 1;
    torch::Tensor m = it != state_.end() ? it->second.expAvg : torch::zeros_like(p);
    torch::Tensor v = it != state_.end() ? it->second.expAvgSq : torch::zeros_like(p);
    p.mul_(1 - o.lr * o.weightDecay);
    m.mul_(o.beta1).add_(p.grad(), 1 - o.beta1);
    v.mul_(o.beta2).addcmul_(p.grad(), p.grad(), 1 - o.beta2);
    const double bc1 = 1 - std::pow(o.beta1, double(step));
    const double bc2 = 1 - std::pow(o.beta2, double(step));
    auto denom = (v.sqrt() / std::sqrt(bc2)).add_(o.eps);
    p.addcdiv_(m, denom, -o.lr / bc1);
    state_[name] = {m, v, step};
  }
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
