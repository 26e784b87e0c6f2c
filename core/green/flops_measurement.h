// Measures the matmul FLOPs LibTorch actually executes for one training step (forward +
// backward) with a selection applied through requires_grad, using the LibTorch profiler's FLOPs
// counting (aten::mm / addmm / bmm / baddbmm). This is how the analytic profiler is checked.
#pragma once
#include <torch/types.h>

#include <vector>

#include "core/green/flops_profiler.h"
#include "core/model/causal_lm.h"
#include "core/model/seq2seq_lm.h"

namespace gt {

struct MeasuredFlops {
  double forwardMatmul = 0;
  double backwardMatmul = 0;
  double total() const { return forwardMatmul + backwardMatmul; }
};

// Sets requires_grad on every parameter from the mask (chain order); names missing from the
// chain are an error.
void applyMask(LanguageModel& model, const FlopsProfile& profile, const std::vector<bool>& mask);

// inputIds/labels [batch, seq] matching the profile's shape. Leaves every parameter trainable
// and gradients cleared afterwards.
MeasuredFlops measureStepFlops(CausalLM& model, const FlopsProfile& profile, const std::vector<bool>& mask,
                               const torch::Tensor& inputIds, const torch::Tensor& labels);
// Encoder-decoder: inputIds [batch, seq] for the encoder, decoderLabels [batch, decoderSeq].
MeasuredFlops measureStepFlops(Seq2SeqLM& model, const FlopsProfile& profile, const std::vector<bool>& mask,
                               const torch::Tensor& inputIds, const torch::Tensor& decoderLabels);

}  // namespace gt
