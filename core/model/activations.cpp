#include "core/model/activations.h"

#include <torch/nn/functional/activation.h>

#include "core/util/error.h"

namespace gt {

Activation activationByName(const std::string& name) {
  if (name == "relu") return [](const torch::Tensor& x) { return torch::relu(x); };
  if (name == "gelu") return [](const torch::Tensor& x) { return torch::gelu(x); };
  if (name == "gelu_new" || name == "gelu_pytorch_tanh" || name == "gelu_fast" || name == "bloom_gelu")
    return [](const torch::Tensor& x) { return torch::gelu(x, "tanh"); };
  if (name == "silu" || name == "swish") return [](const torch::Tensor& x) { return torch::silu(x); };
  throw Error("unsupported activation '" + name +
              "' (expected relu, gelu, gelu_new, gelu_pytorch_tanh, gelu_fast, silu or swish)");
}

}  // namespace gt
