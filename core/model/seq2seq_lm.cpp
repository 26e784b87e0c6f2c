#include "core/model/seq2seq_lm.h"

#include <torch/nn/functional/loss.h>

#include "core/util/error.h"

namespace gt {

void Seq2SeqCache::select(const torch::Tensor& batchIndex) {
  self.select(batchIndex);
  cross.select(batchIndex);
}

torch::Tensor shiftTokensRight(const torch::Tensor& labels, int64_t decoderStartTokenId, int64_t padTokenId) {
  check(labels.dim() == 2, "decoder labels: expected shape [B, T]");
  check(padTokenId >= 0, "decoder labels: the model has no pad_token_id to put in place of -100");
  auto shifted = torch::empty_like(labels);
  shifted.slice(1, 1).copy_(labels.slice(1, 0, labels.size(1) - 1));
  shifted.select(1, 0).fill_(decoderStartTokenId);
  return shifted.masked_fill(shifted == -100, padTokenId);
}

torch::Tensor seq2seqLmLoss(const torch::Tensor& logits, const torch::Tensor& labels) {
  check(logits.dim() == 3 && labels.dim() == 2 && logits.size(0) == labels.size(0) && logits.size(1) == labels.size(1),
        "loss: logits [B, T, V] and labels [B, T] disagree in shape");
  namespace F = torch::nn::functional;
  return F::cross_entropy(logits.to(torch::kFloat32).reshape({-1, logits.size(2)}), labels.reshape({-1}).to(torch::kLong),
                          F::CrossEntropyFuncOptions().ignore_index(-100).reduction(torch::kMean));
}

}  // namespace gt
