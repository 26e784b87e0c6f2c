// One training batch: right-padded token ids, attention mask, and labels with -100 on the
// prompt and the padding (loss on target tokens only). An encoder-decoder's batch: the encoder's
// ids and mask (prompt + EOS), and the decoder's labels (target + EOS, -100 on padding) [B, T].
#pragma once
#include <torch/types.h>

namespace gt {

struct Batch {
  torch::Tensor inputIds;       // [B, S] int64
  torch::Tensor attentionMask;  // [B, S] int64
  torch::Tensor labels;         // [B, S] int64, -100 ignored
  bool rightPadded = false;     // every row's padding at its end (makeBatches builds them so)
  bool encoderDecoder = false;  // labels are the decoder's (makeSeq2SeqBatches)
  int64_t size() const { return inputIds.size(0); }
  int64_t seq() const { return inputIds.size(1); }            // encoder-decoder: the encoder's length
  int64_t decoderSeq() const { return encoderDecoder ? labels.size(1) : 0; }
  Batch to(const torch::Device& device) const {
    return {inputIds.to(device), attentionMask.to(device), labels.to(device), rightPadded, encoderDecoder};
  }
  // The attention_mask to give the model for the loss. A right-padded batch needs none: through the
  // causal mask a real token never sees a padding key, and padded positions carry label -100, so
  // loss and gradients are the same without it (tests/test_models checks) — and without a mask
  // attention takes its causal kernel (flash attention on CUDA).
  // An encoder attends both ways, so its padding is always masked.
  torch::Tensor lossMask() const { return rightPadded && !encoderDecoder ? torch::Tensor() : attentionMask; }
};

}  // namespace gt
