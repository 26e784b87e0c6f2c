// OPT (facebook/opt-*): learned positions with offset 2, pre- or post-LayerNorm, ReLU FFN,
// optional project_in/project_out when word_embed_proj_dim != hidden_size, tied lm_head.
#pragma once
#include <memory>

#include "core/model/causal_lm.h"

namespace gt {
std::shared_ptr<CausalLM> createOpt(const ModelConfig& config);
}
