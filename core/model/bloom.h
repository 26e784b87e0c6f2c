// BLOOM (bigscience/bloom*, bloomz): ALiBi position bias, LayerNorm after the word embeddings,
// fused query_key_value laid out per head as (q, k, v), tanh-GELU FFN, tied lm_head.
#pragma once
#include <memory>

#include "core/model/causal_lm.h"

namespace gt {
std::shared_ptr<CausalLM> createBloom(const ModelConfig& config);
// ALiBi slopes for n heads (Press et al.; BLOOM's build_alibi_tensor), shape [n].
torch::Tensor alibiSlopes(int64_t heads);
}  // namespace gt
