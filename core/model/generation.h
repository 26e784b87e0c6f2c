// Text generation with Hugging Face's semantics: greedy search and beam search (num_beams,
// length_penalty, early_stopping, repetition_penalty, max_new_tokens, eos), using the KV cache.
#pragma once
#include <cstdint>
#include <filesystem>
#include <functional>
#include <vector>

#include "core/model/causal_lm.h"

namespace gt {

struct GenerationOptions {
  int64_t maxNewTokens = 20;
  int64_t numBeams = 1;
  double lengthPenalty = 1.0;
  bool earlyStopping = false;
  double repetitionPenalty = 1.0;  // CTRL-style: divide positive scores, multiply negative ones
  std::vector<int64_t> eosTokenIds;
  // Optional learned prefix (prefix tuning): past keys/values for `rows` rows, attended by every token.
  std::function<KVCache(int64_t rows)> prefixCache;
};

// The model folder's end-of-sequence ids as transformers reads them: generation_config.json's
// eos_token_id (a number or a list) when present, else config.json's.
std::vector<int64_t> eosTokenIds(const std::filesystem::path& modelDir, const ModelConfig& config);

// gt::Error for an empty prompt or a token id outside the vocabulary, naming it.
void checkGenerationInput(const ModelConfig& config, const std::vector<int64_t>& prompt);
// gt::Error for max_new_tokens < 0, num_beams < 1, a repetition penalty <= 0 or non-finite penalties.
void checkGenerationOptions(const GenerationOptions& options);
// Refuses, before anything is allocated, a search whose attention scores alone would not fit in this
// machine's memory: `rows` sequences of `length` tokens attending to `keys` tokens, about three float32
// copies of heads x length x keys each (scores, probabilities, bias). Nothing else bounds a prompt's
// length for a model with relative or rotary positions.
void checkAttentionMemory(const ModelConfig& config, int64_t rows, int64_t length, int64_t keys);

// Throws gt::Error for an empty prompt, a prompt id outside the vocabulary or bad options.
// Returns the prompt followed by the new tokens (ending with EOS when one was produced).
std::vector<int64_t> generate(CausalLM& model, const std::vector<int64_t>& prompt, const GenerationOptions& options);

// Several prompts at once: left-padded into one batch (positions count real tokens), each searched
// exactly as generate() would; a prompt leaves the batch when its search ends. Same order as `prompts`.
std::vector<std::vector<int64_t>> generateBatch(CausalLM& model, const std::vector<std::vector<int64_t>>& prompts,
                                                const GenerationOptions& options);

}  // namespace gt
