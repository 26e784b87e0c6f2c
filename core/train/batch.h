// One training batch: right-padded token ids, attention mask, and labels with -100 on the
// prompt and the padding (loss on target tokens only).
#pragma once
#include <torch/types.h>

namespace gt {

struct Batch {
  torch::Tensor inputIds;       // [B, S] int64
  torch::Tensor attentionMask;  // [B, S] int64
  torch::Tensor labels;         // [B, S] int64, -100 ignored
  int64_t size() const { return inputIds.size(0); }
  int64_t seq() const { return inputIds.size(1); }
  Batch to(const torch::Device& device) const { return {inputIds.to(device), attentionMask.to(device), labels.to(device)}; }
};

}  // namespace gt
