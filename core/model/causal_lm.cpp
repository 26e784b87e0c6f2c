#include "core/model/causal_lm.h"

#include "core/model/activation_checkpoint.h"

#include <torch/nn/functional/loss.h>

#include "core/util/error.h"

namespace gt {

std::pair<torch::Tensor, torch::Tensor> KVCache::append(size_t layer, const torch::Tensor& k, const torch::Tensor& v) {
  if (keys.size() <= layer) {
    keys.resize(layer + 1);
    values.resize(layer + 1);
  }
  if (keys[layer].defined()) {
    keys[layer] = torch::cat({keys[layer], k}, 2);
    values[layer] = torch::cat({values[layer], v}, 2);
  } else {
    keys[layer] = k;
    values[layer] = v;
  }
  return {keys[layer], values[layer]};
}

void KVCache::select(const torch::Tensor& batchIndex) {
  for (auto& k : keys)
    if (k.defined()) k = k.index_select(0, batchIndex);
  for (auto& v : values)
    if (v.defined()) v = v.index_select(0, batchIndex);
}

torch::Tensor CausalLM::runBlock(const torch::nn::Module& block, const std::function<torch::Tensor(const torch::Tensor&)>& fn,
                                 const torch::Tensor& h, const KVCache* cache) const {
  if (!gradientCheckpointing_ || cache || !is_training()) return fn(h);
  bool trainable = false;
  for (const auto& p : block.parameters()) trainable = trainable || p.requires_grad();
  return checkpointedBlock(fn, h, trainable);
}

torch::Tensor causalLmLoss(const torch::Tensor& logits, const torch::Tensor& labels) {
  check(logits.dim() == 3 && labels.dim() == 2 && logits.size(0) == labels.size(0) && logits.size(1) == labels.size(1),
        "loss: logits [B, T, V] and labels [B, T] disagree in shape");
  auto shiftLogits = logits.slice(1, 0, logits.size(1) - 1).to(torch::kFloat32).reshape({-1, logits.size(2)});
  auto shiftLabels = labels.slice(1, 1).reshape({-1}).to(torch::kLong);
  namespace F = torch::nn::functional;
  return F::cross_entropy(shiftLogits, shiftLabels, F::CrossEntropyFuncOptions().ignore_index(-100).reduction(torch::kMean));
}

torch::Tensor positionsOrDefault(const torch::Tensor& positionIds, const torch::Tensor& inputIds, int64_t pastLen) {
  if (positionIds.defined()) return positionIds;
  return torch::arange(pastLen, pastLen + inputIds.size(1), inputIds.options().dtype(torch::kLong)).unsqueeze(0);
}

torch::Tensor fullAttentionMask(const torch::Tensor& attentionMask, const torch::Tensor& inputIds, int64_t pastLen) {
  if (attentionMask.defined()) {
    check(attentionMask.dim() == 2 && attentionMask.size(0) == inputIds.size(0) &&
              attentionMask.size(1) == pastLen + inputIds.size(1),
          "attention_mask: expected shape [" + std::to_string(inputIds.size(0)) + ", " +
              std::to_string(pastLen + inputIds.size(1)) + "]");
    return attentionMask;
  }
  return torch::ones({inputIds.size(0), pastLen + inputIds.size(1)}, inputIds.options().dtype(torch::kLong));
}

torch::Tensor causalAttentionBias(const torch::Tensor& attentionMask, int64_t queryLen, int64_t pastLen, torch::ScalarType dtype) {
  const auto device = attentionMask.device();
  const int64_t keyLen = pastLen + queryLen;
  auto q = torch::arange(pastLen, keyLen, torch::TensorOptions().dtype(torch::kLong).device(device)).unsqueeze(1);
  auto k = torch::arange(0, keyLen, torch::TensorOptions().dtype(torch::kLong).device(device)).unsqueeze(0);
  auto allowed = (k <= q).unsqueeze(0).unsqueeze(0);                              // [1, 1, T, S]
  allowed = allowed & (attentionMask.to(torch::kBool).unsqueeze(1).unsqueeze(2));  // [B, 1, T, S]
  auto opts = torch::TensorOptions().dtype(dtype).device(device);
  const double lowest = dtype == torch::kFloat32 ? std::numeric_limits<float>::lowest()
                        : dtype == torch::kFloat64 ? std::numeric_limits<double>::lowest()
                        : dtype == torch::kFloat16 ? -65504.0
                                                   : -3.3895313892515355e38;  // bfloat16
  return torch::where(allowed, torch::zeros({}, opts), torch::full({}, lowest, opts));
}

AttentionBias decoderAttentionBias(const torch::Tensor& givenMask, const torch::Tensor& mask, int64_t queryLen,
                                   int64_t pastLen, torch::ScalarType dtype) {
  return {causalAttentionBias(mask, queryLen, pastLen, dtype), !givenMask.defined() && pastLen == 0};
}

}  // namespace gt
