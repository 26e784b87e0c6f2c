// The linear layer every model family uses: torch::nn::Linear that can carry a LoRA adapter
// (core/train/lora.h). Without one it is exactly nn::Linear; with one it computes, as PEFT does,
//   y = x W^T + b + scaling * (dropout(x) A^T) B^T,   A [r, in], B [out, r], scaling = alpha / r.
// The adapter's tensors are not registered as parameters, so the model's parameter names (the
// checkpoint's) and the FLOPs chain stay the same with or without adapters.
#pragma once
#include <torch/nn/modules/linear.h>

#include <memory>

namespace gt {

struct LoraAdapter {
  torch::Tensor a, b;  // lora_A.weight [r, in], lora_B.weight [out, r]
  double scaling = 1.0;
  double dropout = 0.0;
};

class AdaptableLinearImpl : public torch::nn::LinearImpl {
 public:
  using torch::nn::LinearImpl::LinearImpl;
  torch::Tensor forward(const torch::Tensor& input);
  std::shared_ptr<LoraAdapter> lora;  // null: plain linear
};
TORCH_MODULE(AdaptableLinear);

inline AdaptableLinear adaptableLinear(int64_t in, int64_t out, bool bias = true) {
  return AdaptableLinear(torch::nn::LinearOptions(in, out).bias(bias));
}

}  // namespace gt
