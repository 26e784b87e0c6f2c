#include "core/model/attention.h"

#include <torch/nn/functional/dropout.h>
#include <torch/version.h>

#include <atomic>
#include <limits>

#include "core/util/error.h"

#if TORCH_VERSION_MAJOR > 2 || (TORCH_VERSION_MAJOR == 2 && TORCH_VERSION_MINOR >= 1)
#define GT_HAVE_SDPA 1  // at::scaled_dot_product_attention with a `scale` argument
#endif

namespace gt {
namespace {

std::atomic<bool> useSdpa{sdpaAvailable()};

std::pair<torch::Tensor, torch::Tensor> repeatKv(const torch::Tensor& q, const torch::Tensor& k, const torch::Tensor& v) {
  const int64_t heads = q.size(1), kvHeads = k.size(1);
  if (kvHeads == heads) return {k, v};
  const int64_t rep = heads / kvHeads;
  return {k.repeat_interleave(rep, 1), v.repeat_interleave(rep, 1)};
}

torch::Tensor mergeHeads(const torch::Tensor& out, const torch::Tensor& q) {  // [B, H, T, D] -> [B, T, H * D]
  return out.transpose(1, 2).reshape({q.size(0), q.size(2), q.size(1) * q.size(3)});
}

#ifdef GT_HAVE_SDPA
// The bias as SDPA's float mask: in q's dtype (autocast runs q in bf16/fp16), masked entries at that
// dtype's lowest finite value, so a fully masked row gives uniform weights as the eager path does, not NaN.
torch::Tensor sdpaMask(const torch::Tensor& bias, const torch::Tensor& q) {
  const auto dtype = q.scalar_type();
  const double lowest = dtype == torch::kFloat16 ? -65504.0 : dtype == torch::kBFloat16 ? -3.3895313892515355e38 : std::numeric_limits<float>::lowest();
  return bias.clamp_min(lowest).to(dtype);
}
#endif

}  // namespace

bool sdpaAvailable() {
#ifdef GT_HAVE_SDPA
  return true;
#else
  return false;
#endif
}

std::string attentionKernel() { return useSdpa ? "sdpa" : "eager"; }

void setAttentionKernel(const std::string& name) {
  check(name == "sdpa" || name == "eager", "attention kernel: expected sdpa or eager, got '" + name + "'");
  check(name == "eager" || sdpaAvailable(), std::string("attention kernel sdpa needs LibTorch >= 2.1 (this is ") + TORCH_VERSION + ")");
  useSdpa = name == "sdpa";
}

torch::Tensor splitHeads(const torch::Tensor& x, int64_t heads, int64_t headDim) {
  return x.view({x.size(0), x.size(1), heads, headDim}).transpose(1, 2);
}

torch::Tensor eagerAttention(const torch::Tensor& q, const torch::Tensor& k, const torch::Tensor& v, const torch::Tensor& bias, double scale,
                             double dropout) {
  auto [kk, vv] = repeatKv(q, k, v);
  auto scores = torch::matmul(q, kk.transpose(-1, -2)) * scale;
  if (bias.defined()) scores = scores + bias;
  auto probs = torch::softmax(scores, -1, torch::kFloat32).to(q.scalar_type());
  if (dropout > 0) probs = torch::dropout(probs, dropout, true);
  return mergeHeads(torch::matmul(probs, vv), q);
}

torch::Tensor attention(const torch::Tensor& q, const torch::Tensor& k, const torch::Tensor& v, const AttentionBias& bias, double scale,
                        double dropout) {
#ifdef GT_HAVE_SDPA
  if (useSdpa) {
    auto [kk, vv] = repeatKv(q, k, v);
    const bool causal = bias.causalOnly && q.size(2) == kk.size(2);
    c10::optional<torch::Tensor> mask;
    if (!causal && bias.additive.defined()) mask = sdpaMask(bias.additive, q);
    return mergeHeads(at::scaled_dot_product_attention(q, kk, vv, mask, dropout, causal, scale), q);
  }
#endif
  return eagerAttention(q, k, v, bias.additive, scale, dropout);
}

}  // namespace gt
