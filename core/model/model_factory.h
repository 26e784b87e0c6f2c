// Builds the family for a config's model_type (randomly initialised; load weights separately).
#pragma once
#include <memory>

#include "core/model/causal_lm.h"

namespace gt {
std::shared_ptr<CausalLM> createModel(const ModelConfig& config);
}
