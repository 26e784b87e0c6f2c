// Scaled-dot-product attention: softmax(q k^T * scale + bias) v. Two kernels compute it:
//   eager  Hugging Face's eager path (softmax in fp32); the reference, and the only one in LibTorch 1.13;
//   sdpa   at::scaled_dot_product_attention (LibTorch >= 2.1): the memory-efficient / flash kernels on
//          CUDA, with the additive bias as its mask. The default where it exists.
//          A bias known to be exactly the causal mask (no padding keys, no cache, no ALiBi) is not read:
//          SDPA runs with is_causal, which lets it pick the flash kernel.
// Grouped-query attention repeats k/v heads for both.
#pragma once
#include <torch/types.h>

#include <string>

namespace gt {

// The additive bias (0 or a large negative, plus ALiBi) broadcastable to [B, H, T, S], and whether it
// is exactly the causal mask over T == S positions (then SDPA uses is_causal instead of reading it).
struct AttentionBias {
  torch::Tensor additive;
  bool causalOnly = false;
};

// q [B, H, T, D], k/v [B, Hkv, S, D]. Returns [B, T, H * D]. Runs the kernel attentionKernel() names.
// `dropout`: the probability of dropping each attention probability (0 outside training).
torch::Tensor attention(const torch::Tensor& q, const torch::Tensor& k, const torch::Tensor& v, const AttentionBias& bias, double scale,
                        double dropout = 0.0);
torch::Tensor eagerAttention(const torch::Tensor& q, const torch::Tensor& k, const torch::Tensor& v,
                             const torch::Tensor& bias, double scale, double dropout = 0.0);

bool sdpaAvailable();
std::string attentionKernel();                  // "sdpa" or "eager"
void setAttentionKernel(const std::string& name);  // gt::Error for an unknown name or sdpa where it is unavailable

// [B, T, H * D] -> [B, H, T, D]
torch::Tensor splitHeads(const torch::Tensor& x, int64_t heads, int64_t headDim);

}  // namespace gt
