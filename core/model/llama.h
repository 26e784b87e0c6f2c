// Llama (also Qwen2, SmolLM, MobileLLM-style deep-thin configs): RMSNorm, rotary position
// embeddings, SwiGLU FFN, grouped-query attention, tied or untied lm_head, optional biases.
#pragma once
#include <memory>

#include "core/model/causal_lm.h"

namespace gt {
std::shared_ptr<CausalLM> createLlama(const ModelConfig& config);
}
