// Eager scaled-dot-product attention as Hugging Face's eager path computes it:
// softmax(q k^T * scale + bias) v, softmax in fp32. Grouped-query attention repeats k/v heads.
#pragma once
#include <torch/types.h>

namespace gt {

// q [B, H, T, D], k/v [B, Hkv, S, D], bias broadcastable to [B, H, T, S].
// Returns [B, T, H * D].
torch::Tensor eagerAttention(const torch::Tensor& q, const torch::Tensor& k, const torch::Tensor& v,
                             const torch::Tensor& bias, double scale);

// [B, T, H * D] -> [B, H, T, D]
torch::Tensor splitHeads(const torch::Tensor& x, int64_t heads, int64_t headDim);

}  // namespace gt
