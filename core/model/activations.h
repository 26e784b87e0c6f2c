// Activation functions by their Hugging Face names (ACT2FN).
#pragma once
#include <torch/types.h>

#include <functional>
#include <string>

namespace gt {

using Activation = std::function<torch::Tensor(const torch::Tensor&)>;

// relu, gelu (erf), gelu_new / gelu_pytorch_tanh / gelu_fast / bloom_gelu (tanh approximation),
// silu / swish. Throws gt::Error listing them for anything else (ModelConfig::fromJson checks
// config.json's activation with it, so a model is never built with an unknown one).
Activation activationByName(const std::string& name);

}  // namespace gt
