// Dropout as Hugging Face's models apply it: only in training (the module's train mode), with the
// config's rate; eval mode, evaluation and generation never drop.
#pragma once
#include <torch/nn/functional/dropout.h>

namespace gt {

inline torch::Tensor dropoutInTraining(const torch::Tensor& x, double rate, bool training) {
  return rate > 0 && training ? torch::dropout(x, rate, true) : x;
}

}  // namespace gt
