#include "core/train/prefix_tuning.h"

#include <nlohmann/json.hpp>

#include "core/io/safetensors.h"
#include "core/util/atomic_file.h"
#include "core/util/error.h"

namespace gt {

PrefixTuning::PrefixTuning(const ModelConfig& config, int64_t virtualTokens, uint64_t seed, const torch::Device& device)
    : config_(config), virtualTokens_(virtualTokens) {
  check(virtualTokens >= 1, "prefix: virtual tokens must be >= 1, got " + std::to_string(virtualTokens));
  torch::manual_seed(seed);
  embedding_ = torch::randn({virtualTokens, config.numLayers * 2 * config.numKvHeads * config.headDim}).to(device);
  embedding_.set_requires_grad(true);
}

KVCache PrefixTuning::cache(int64_t batch) const {
  // [P, L * 2 * kvH * hd] -> [L, 2, kvH, P, hd], as PEFT splits past_key_values.
  auto kv = embedding_.view({virtualTokens_, config_.numLayers, 2, config_.numKvHeads, config_.headDim}).permute({1, 2, 3, 0, 4});
  KVCache c;
  for (int64_t l = 0; l < config_.numLayers; ++l) {
    c.keys.push_back(kv[l][0].unsqueeze(0).expand({batch, -1, -1, -1}));
    c.values.push_back(kv[l][1].unsqueeze(0).expand({batch, -1, -1, -1}));
  }
  return c;
}

torch::Tensor PrefixTuning::extendMask(const torch::Tensor& attentionMask, const torch::Tensor& inputIds) const {
  auto mask = attentionMask.defined() ? attentionMask : torch::ones_like(inputIds);
  return torch::cat({torch::ones({mask.size(0), virtualTokens_}, mask.options()), mask}, 1);
}

double PrefixTuning::stepFlops(int64_t batch, int64_t seq) const {
  const double perLayer = 2.0 * 2.0 * double(batch) * double(seq) * double(virtualTokens_) * double(config_.numHeads * config_.headDim);
  return 3.0 * perLayer * double(config_.numLayers);
}

std::vector<bool> PrefixTuning::reachMask(const FlopsProfile& profile) const {
  std::vector<bool> mask(profile.tensors.size(), false);
  for (size_t i = 0; i < profile.tensors.size(); ++i) {
    const auto& n = profile.tensors[i].name;
    const bool firstLayer = n.find(".layers.0.") != std::string::npos || n.find(".h.0.") != std::string::npos;
    const bool keyOrValue = n.find("k_proj.weight") != std::string::npos || n.find("v_proj.weight") != std::string::npos ||
                            n.find("query_key_value.weight") != std::string::npos || n.find("c_attn.weight") != std::string::npos;
    mask[i] = firstLayer && keyOrValue;
  }
  return mask;
}

void PrefixTuning::save(const std::filesystem::path& dir) const {
  std::filesystem::create_directories(dir);
  writeSafetensors(dir / "prefix_model.safetensors", {{"prompt_embeddings", embedding_.detach().to(torch::kFloat32)}});
  const nlohmann::ordered_json config = {{"peft_type", "PREFIX_TUNING"}, {"task_type", "CAUSAL_LM"}, {"num_virtual_tokens", virtualTokens_},
                                         {"num_layers", config_.numLayers}, {"num_key_value_heads", config_.numKvHeads},
                                         {"head_dim", config_.headDim}, {"prefix_projection", false}};
  writeTextAtomically(dir / "prefix_config.json", config.dump(2) + "\n");
}

}  // namespace gt
