#include "core/model/attention.h"

namespace gt {

torch::Tensor splitHeads(const torch::Tensor& x, int64_t heads, int64_t headDim) {
  return x.view({x.size(0), x.size(1), heads, headDim}).transpose(1, 2);
}

torch::Tensor eagerAttention(const torch::Tensor& q, const torch::Tensor& k, const torch::Tensor& v,
                             const torch::Tensor& bias, double scale) {
  const int64_t heads = q.size(1);
  const int64_t kvHeads = k.size(1);
  torch::Tensor kk = k, vv = v;
  if (kvHeads != heads) {
    const int64_t rep = heads / kvHeads;
    kk = k.repeat_interleave(rep, 1);
    vv = v.repeat_interleave(rep, 1);
  }
  auto scores = torch::matmul(q, kk.transpose(-1, -2)) * scale;
  if (bias.defined()) scores = scores + bias;
  auto probs = torch::softmax(scores, -1, torch::kFloat32).to(q.scalar_type());
  auto out = torch::matmul(probs, vv);  // [B, H, T, D]
  return out.transpose(1, 2).reshape({q.size(0), q.size(2), heads * q.size(3)});
}

}  // namespace gt
