#include "core/model/generation.h"

#include <cmath>
#include <cstdio>

#include <algorithm>

#include "core/model/beam_search.h"
#include "core/util/error.h"
#include "core/util/physical_memory.h"
#include "core/util/json_file.h"

namespace gt {

void checkGenerationInput(const ModelConfig& config, const std::vector<int64_t>& prompt) {
  check(!prompt.empty(), "generate: the prompt is empty (expected at least one token id)");
  for (int64_t id : prompt)
    check(id >= 0 && id < config.vocabSize,
          "generate: prompt token id " + std::to_string(id) + " is outside the vocabulary [0, " + std::to_string(config.vocabSize) + ")");
}

void checkAttentionMemory(const ModelConfig& config, int64_t rows, int64_t length, int64_t keys) {
  const double bytes = 3.0 * 4.0 * double(rows) * double(config.numHeads) * double(length) * double(keys);
  const double memory = physicalMemoryBytes();
  if (memory <= 0 || bytes <= memory) return;
  char buf[320];
  std::snprintf(buf, sizeof buf,
                "generate: %lld sequence(s) of %lld tokens would need about %.1f GB for their attention scores (%lld heads x %lld x %lld "
                "tokens, float32); this machine has %.1f GB: use a shorter input, fewer beams or a smaller batch",
                (long long)rows, (long long)length, bytes / 1e9, (long long)config.numHeads, (long long)length, (long long)keys, memory / 1e9);
  throw Error(buf);
}

void checkGenerationOptions(const GenerationOptions& o) {
  check(o.maxNewTokens >= 0, "generate: max_new_tokens must be >= 0");
  check(o.numBeams >= 1, "generate: num_beams must be >= 1");
  check(std::isfinite(o.repetitionPenalty) && o.repetitionPenalty > 0, "generate: repetition_penalty must be a finite number > 0");
  check(std::isfinite(o.lengthPenalty), "generate: length_penalty must be a finite number");
}

std::vector<int64_t> eosTokenIds(const std::filesystem::path& modelDir, const ModelConfig& config) {
  const auto path = modelDir / "generation_config.json";
  if (!std::filesystem::exists(path)) return config.eosTokenIds;
  const auto j = readJsonFile(path);
  if (!j.contains("eos_token_id") || j["eos_token_id"].is_null()) return config.eosTokenIds;
  const auto& e = j["eos_token_id"];
  check(e.is_number_integer() || (e.is_array() && !e.empty() && std::all_of(e.begin(), e.end(), [](const auto& v) { return v.is_number_integer(); })),
        path.string() + ": eos_token_id: expected an integer or a non-empty list of integers, got " + e.dump());
  const auto ids = e.is_array() ? e.get<std::vector<int64_t>>() : std::vector<int64_t>{e.get<int64_t>()};
  checkEosTokenIds(ids, config.vocabSize, path.string());
  return ids;
}

std::vector<std::vector<int64_t>> generateBatch(CausalLM& model, const std::vector<std::vector<int64_t>>& prompts,
                                                const GenerationOptions& o) {
  for (const auto& p : prompts) checkGenerationInput(model.config(), p);
  checkGenerationOptions(o);
  if (o.maxNewTokens == 0 || prompts.empty()) return prompts;

  torch::NoGradGuard noGrad;
  const bool wasTraining = model.is_training();
  model.eval();
  const auto device = model.parameters().front().device();
  const int64_t K = o.numBeams;

  // Prefill: every prompt repeated K times, left-padded to the longest; positions count real tokens.
  int64_t longest = 0;
  for (const auto& p : prompts) longest = std::max<int64_t>(longest, int64_t(p.size()));
  checkAttentionMemory(model.config(), int64_t(prompts.size()) * K, longest, longest + o.maxNewTokens);
  const int64_t rows = int64_t(prompts.size()) * K;
  auto ids = torch::zeros({rows, longest}, torch::kLong);
  auto mask = torch::zeros({rows, longest}, torch::kLong);
  for (size_t b = 0; b < prompts.size(); ++b)
    for (int64_t k = 0; k < K; ++k) {
      const int64_t r = int64_t(b) * K + k, pad = longest - int64_t(prompts[b].size());
      ids[r].slice(0, pad).copy_(torch::tensor(prompts[b], torch::kLong));
      mask[r].slice(0, pad).fill_(1);
    }
  KVCache cache = o.prefixCache ? o.prefixCache(rows) : KVCache{};
  const int64_t prefix = cache.length();
  // Learned positions bound prompt + new tokens (+ a prefix's virtual tokens, which take positions too).
  if (const int64_t positions = model.config().maxPositions; positions > 0)
    check(prefix + longest + o.maxNewTokens <= positions,
          "generate: the prompt (" + std::to_string(longest) + " tokens) + max_new_tokens (" + std::to_string(o.maxNewTokens) + ")" +
              (prefix > 0 ? " + the prefix's " + std::to_string(prefix) + " virtual tokens" : std::string()) + " exceeds the model's " +
              std::to_string(positions) + " learned positions; lower --max-new-tokens or shorten the prompt");
  mask = mask.to(device);
  if (prefix > 0) mask = torch::cat({torch::ones({rows, prefix}, mask.options()), mask}, 1);
  auto positions = (mask.cumsum(1) - 1).clamp_min(0).slice(1, prefix);
  auto logits = model.forward(ids.to(device), mask, &cache, positions).select(1, longest - 1).to(torch::kFloat32).cpu();

  auto out = searchBatch(prompts, o, logits, [&](const torch::Tensor& kept, const torch::Tensor& tokens) {
    const auto index = kept.to(device);
    cache.select(index);
    mask = torch::cat({mask.index_select(0, index), torch::ones({kept.size(0), 1}, mask.options())}, 1);
    positions = mask.sum(1, true) - 1;
    return model.forward(tokens.to(device), mask, &cache, positions).select(1, 0).to(torch::kFloat32).cpu();
  });
  if (wasTraining) model.train();
  return out;
}

std::vector<int64_t> generate(CausalLM& model, const std::vector<int64_t>& prompt, const GenerationOptions& o) {
  return generateBatch(model, {prompt}, o).front();
}

}  // namespace gt
