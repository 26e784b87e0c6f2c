// Prefix tuning (Li & Liang 2021) as PEFT's PREFIX_TUNING without projection: num_virtual_tokens
// learned key/value vectors per layer, fed to the frozen model as past keys/values, so every
// token attends to them; the attention mask gets that many ones in front and positions start
// after them, as transformers does with a past. Only the prefix trains.
#pragma once
#include <filesystem>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "core/green/flops_profiler.h"
#include "core/model/causal_lm.h"

namespace gt {

class PrefixTuning {
 public:
  // One embedding [P, layers * 2 * kv_heads * head_dim] like PEFT's prompt_embeddings, N(0, 1) init.
  PrefixTuning(const ModelConfig& config, int64_t virtualTokens, uint64_t seed, const torch::Device& device);

  int64_t length() const { return virtualTokens_; }
  std::vector<std::pair<std::string, torch::Tensor>> parameters() const { return {{"prompt_embeddings", embedding_}}; }
  // The prefix as a KV cache for `batch` rows ([batch, kv_heads, P, head_dim] per layer).
  KVCache cache(int64_t batch) const;
  // attention_mask [B, T] -> [B, P + T] with the prefix's ones in front (all ones when undefined).
  torch::Tensor extendMask(const torch::Tensor& attentionMask, const torch::Tensor& inputIds) const;
  // Extra matmul FLOPs of one training step: every layer's queries attend P more keys (scores and
  // weighted values), forward plus twice that backward.
  double stepFlops(int64_t batch, int64_t seq) const;
  // The chain mask whose cost is the backward pass down to the first layer's keys/values.
  std::vector<bool> reachMask(const FlopsProfile& profile) const;

  void save(const std::filesystem::path& dir) const;  // prefix_config.json + prefix_model.safetensors
  // Reads a folder written by save(); the layer count and key/value shape must match `config`.
  static PrefixTuning load(const ModelConfig& config, const std::filesystem::path& dir, const torch::Device& device);

 private:
  PrefixTuning(const ModelConfig& config, torch::Tensor embedding);
  ModelConfig config_;
  int64_t virtualTokens_;
  torch::Tensor embedding_;
};

// A fine-tuning adapter folder: LoRA (adapter_config.json, attached to the model's layers) or a
// prefix (prefix_config.json, to pass to generation). Throws gt::Error when it is neither.
struct LoadedAdapter {
  std::optional<PrefixTuning> prefix;
  bool lora = false;
};
// A prefix applies to decoder-only models (gt::Error for an encoder-decoder).
LoadedAdapter loadAdapter(LanguageModel& model, const std::filesystem::path& dir);

}  // namespace gt
