#include "core/model/adaptable_linear.h"

#include <torch/nn/functional/dropout.h>
#include <torch/nn/functional/linear.h>

namespace gt {

torch::Tensor AdaptableLinearImpl::forward(const torch::Tensor& input) {
  auto y = torch::nn::LinearImpl::forward(input);
  if (!lora) return y;
  auto x = lora->dropout > 0 && is_training() ? torch::dropout(input, lora->dropout, true) : input;
  return y + torch::nn::functional::linear(torch::nn::functional::linear(x, lora->a), lora->b) * lora->scaling;
}

}  // namespace gt
