// Builds the family for a config's model_type (randomly initialised; load weights separately).
#pragma once
#include <memory>

#include "core/model/causal_lm.h"
#include "core/model/seq2seq_lm.h"

namespace gt {
// Decoder-only families; an encoder-decoder model_type (t5) is refused with a message saying so.
std::shared_ptr<CausalLM> createModel(const ModelConfig& config);
// Encoder-decoder families (t5); a decoder-only model_type is refused.
std::shared_ptr<Seq2SeqLM> createSeq2SeqModel(const ModelConfig& config);
}  // namespace gt
