#include "core/green/importance.h"

#include <chrono>
#include <cmath>
#include <map>

#include "core/train/batch_loss.h"
#include "core/util/error.h"
#include "core/util/memory_usage.h"

namespace gt {

size_t earlyStopCutoff(const FlopsProfile& profile, double rho) {
  const double budget = rho * profile.full.total() - profile.forward.total();
  size_t i = 0;
  while (i < profile.tensors.size() && profile.tensors[i].reach.total() <= budget) ++i;
  return i;
}

namespace {

// Backward of the mean of the batches' losses, one batch's graph at a time (gradients accumulate);
// returns that mean.
double meanLossBackward(LanguageModel& model, const std::vector<Batch>& batches) {
  double mean = 0;
  for (const auto& batch : batches) {
    auto loss = batchLoss(model, batch);
    const double value = loss.item<double>();
    check(std::isfinite(value), "importance pass: the loss is " + std::to_string(value) +
                                    " (NaN or infinite); lower the learning rate or check the data");
    (loss / double(batches.size())).backward();
    mean += value / double(batches.size());
  }
  return mean;
}

}  // namespace

ImportanceResult computeImportance(LanguageModel& model, const AdamW& optimizer, const FlopsProfile& profile, size_t cutoff,
                                   const Batch& batch, const ImportanceOptions& options) {
  return computeImportance(model, optimizer, profile, cutoff, std::vector<Batch>{batch}, options);
}

ImportanceResult computeImportance(LanguageModel& model, const AdamW& optimizer, const FlopsProfile& profile, size_t cutoff,
                                   const std::vector<Batch>& batches, const ImportanceOptions& options) {
  check(!batches.empty(), "importance: expected at least one batch");
  check(options.metric == "update_x_grad" || options.metric == "update" || options.metric == "grad",
        "importance: unknown metric '" + options.metric + "' (expected update_x_grad, update or grad)");
  check(options.gradAt == "update" || options.gradAt == "current",
        "importance: unknown grad_at '" + options.gradAt + "' (expected update or current)");
  const auto start = std::chrono::steady_clock::now();
  const int64_t rssBefore = currentRssBytes();
  const bool peakReset = resetPeakRss();

  ImportanceResult r;
  r.cutoff = std::min(cutoff, profile.tensors.size());
  r.raw.assign(profile.tensors.size(), 0.0);
  auto params = model.named_parameters(true);
  std::map<std::string, bool> wasTrainable;
  for (const auto& p : params) wasTrainable[p.key()] = p.value().requires_grad();
  std::vector<torch::Tensor> evaluated(profile.tensors.size());  // parameters above the cutoff
  for (auto& p : params) {
    const int i = profile.indexOf(p.key());
    check(i >= 0, "parameter '" + p.key() + "' is missing from the FLOPs chain");
    const bool use = size_t(i) < r.cutoff;
    p.value().set_requires_grad(use);  // below the cutoff autograd does no work and keeps nothing
    p.value().mutable_grad() = torch::Tensor();
    if (use) evaluated[size_t(i)] = p.value();
  }

  if (r.cutoff > 0) {
    r.loss = meanLossBackward(model, batches);
    std::vector<torch::Tensor> delta(profile.tensors.size()), grad(profile.tensors.size());
    for (size_t i = 0; i < r.cutoff; ++i) {
      if (!evaluated[i].defined() || !evaluated[i].grad().defined()) continue;
      grad[i] = evaluated[i].grad().clone();
      delta[i] = optimizer.previewUpdate(profile.tensors[i].name, grad[i]);
      check(delta[i].defined(), "importance: the optimizer does not hold '" + profile.tensors[i].name + "'");
    }
    if (options.gradAt == "update") {
      // Gradient at w + Δw; the originals are copied back bit for bit afterwards.
      std::vector<torch::Tensor> original(profile.tensors.size());
      {
        torch::NoGradGuard noGrad;
        for (size_t i = 0; i < r.cutoff; ++i)
          if (delta[i].defined()) {
            original[i] = evaluated[i].detach().clone();
            evaluated[i].add_(delta[i]);
          }
      }
      for (auto& t : evaluated)
        if (t.defined()) t.mutable_grad() = torch::Tensor();
      try {
        meanLossBackward(model, batches);
      } catch (...) {
        torch::NoGradGuard noGrad;
        for (size_t i = 0; i < r.cutoff; ++i)
          if (original[i].defined()) evaluated[i].copy_(original[i]);
        throw;
      }
      torch::NoGradGuard noGrad;
      for (size_t i = 0; i < r.cutoff; ++i) {
        if (!original[i].defined()) continue;
        grad[i] = evaluated[i].grad().defined() ? evaluated[i].grad().clone() : torch::zeros_like(original[i]);
        evaluated[i].copy_(original[i]);
      }
    }
    for (size_t i = 0; i < r.cutoff; ++i) {
      if (!delta[i].defined()) continue;
      const auto d = delta[i].to(torch::kFloat64), g = grad[i].to(torch::kFloat64);
      if (options.metric == "update_x_grad") r.raw[i] = -(d * g).sum().item<double>();
      else if (options.metric == "update") r.raw[i] = d.abs().sum().item<double>();
      else r.raw[i] = g.abs().sum().item<double>();
    }
  }

  double maxAbs = 0;
  for (double v : r.raw) maxAbs = std::max(maxAbs, std::abs(v));
  r.scaled = r.raw;
  if (maxAbs > 0)
    for (double& v : r.scaled) v /= maxAbs;
  for (auto& p : params) {
    p.value().mutable_grad() = torch::Tensor();
    p.value().set_requires_grad(wasTrainable[p.key()]);
  }
  if (peakReset && rssBefore >= 0) r.peakExtraBytes = std::max<int64_t>(0, peakRssBytes() - rssBefore);
  r.timeMs = std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - start).count();
  return r;
}

}  // namespace gt
