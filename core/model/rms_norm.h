// RMSNorm (Llama's LlamaRMSNorm, T5's T5LayerNorm): x / sqrt(mean(x^2) + eps), computed in fp32,
// then scaled by `weight` in the input's dtype. No mean subtraction, no bias.
#pragma once
#include <torch/nn/module.h>
#include <torch/types.h>

namespace gt {

class RmsNorm : public torch::nn::Module {
 public:
  RmsNorm(int64_t dim, double eps);
  torch::Tensor forward(const torch::Tensor& x);
  torch::Tensor weight;

 private:
  double eps_;
};

}  // namespace gt
