#include "core/green/flops_measurement.h"

#include <torch/csrc/autograd/profiler_kineto.h>

#include <algorithm>
#include <functional>
#include <set>

#include "core/util/error.h"

namespace gt {
namespace {

namespace prof = torch::autograd::profiler;
namespace impl = torch::profiler::impl;

bool isMatmul(const std::string& name) {
  return name == "aten::mm" || name == "aten::addmm" || name == "aten::bmm" || name == "aten::baddbmm";
}

double profiledMatmulFlops(const std::function<void()>& work) {
  impl::ProfilerConfig config(impl::ProfilerState::KINETO, /*report_input_shapes=*/true, /*profile_memory=*/false,
                              /*with_stack=*/false, /*with_flops=*/true);
  const std::set<impl::ActivityType> activities{impl::ActivityType::CPU};
  prof::prepareProfiler(config, activities);
  prof::enableProfiler(config, activities);
  try {
    work();
  } catch (...) {
    prof::disableProfiler();
    throw;
  }
  auto result = prof::disableProfiler();
  double flops = 0;
  for (const auto& e : result->events())
    if (isMatmul(e.name())) flops += double(e.flops());
  return flops;
}

}  // namespace

void applyMask(LanguageModel& model, const FlopsProfile& profile, const std::vector<bool>& mask) {
  check(mask.size() == profile.tensors.size(), "mask size does not match the chain");
  for (auto& p : model.named_parameters(true)) {
    const int i = profile.indexOf(p.key());
    check(i >= 0, "parameter '" + p.key() + "' is missing from the FLOPs chain");
    p.value().set_requires_grad(mask[size_t(i)]);
  }
}

namespace {

// One step's forward (loss(), recorded) and backward under the mask; every parameter trainable again after.
MeasuredFlops measureStep(LanguageModel& model, const FlopsProfile& profile, const std::vector<bool>& mask,
                          const std::function<torch::Tensor()>& loss) {
  applyMask(model, profile, mask);
  model.zero_grad();
  MeasuredFlops m;
  torch::Tensor l;
  m.forwardMatmul = profiledMatmulFlops([&] { l = loss(); });
  if (l.requires_grad()) m.backwardMatmul = profiledMatmulFlops([&] { l.backward(); });
  for (auto& p : model.parameters()) {
    p.set_requires_grad(true);
    p.mutable_grad() = torch::Tensor();
  }
  return m;
}

}  // namespace

MeasuredFlops measureStepFlops(CausalLM& model, const FlopsProfile& profile, const std::vector<bool>& mask,
                               const torch::Tensor& inputIds, const torch::Tensor& labels) {
  check(inputIds.size(0) == profile.batch && inputIds.size(1) == profile.seq, "measure: input shape does not match the profile");
  return measureStep(model, profile, mask, [&] { return causalLmLoss(model.forward(inputIds), labels); });
}

MeasuredFlops measureStepFlops(Seq2SeqLM& model, const FlopsProfile& profile, const std::vector<bool>& mask,
                               const torch::Tensor& inputIds, const torch::Tensor& decoderLabels) {
  check(inputIds.size(0) == profile.batch && inputIds.size(1) == profile.seq && decoderLabels.size(0) == profile.batch &&
            decoderLabels.size(1) == profile.decoderSeq,
        "measure: input or label shape does not match the profile");
  const auto decoderInput = shiftTokensRight(decoderLabels, model.config().decoderStartTokenId, std::max<int64_t>(model.config().padTokenId, 0));
  return measureStep(model, profile, mask, [&] { return seq2seqLmLoss(model.forward(inputIds, {}, decoderInput), decoderLabels); });
}

}  // namespace gt
