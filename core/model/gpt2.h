// GPT-2: Conv1D weights stored (in, out), fused c_attn (q | k | v along the output), learned
// positions, tanh-GELU, tied lm_head.
#pragma once
#include <memory>

#include "core/model/causal_lm.h"

namespace gt {
std::shared_ptr<CausalLM> createGpt2(const ModelConfig& config);
}
