#include "core/train/prefix_tuning.h"

#include <nlohmann/json.hpp>

#include "core/io/safetensors.h"
#include "core/train/lora.h"
#include "core/util/json_file.h"
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

PrefixTuning::PrefixTuning(const ModelConfig& config, torch::Tensor embedding)
    : config_(config), virtualTokens_(embedding.size(0)), embedding_(std::move(embedding)) {
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

PrefixTuning PrefixTuning::load(const ModelConfig& config, const std::filesystem::path& dir, const torch::Device& device) {
  const auto configPath = dir / "prefix_config.json";
  const auto j = readJsonFile(configPath);
  check(j.value("peft_type", "") == "PREFIX_TUNING", configPath.string() + ": peft_type: expected \"PREFIX_TUNING\"");
  check(j.contains("num_virtual_tokens") && j["num_virtual_tokens"].is_number_integer(),
        configPath.string() + ": num_virtual_tokens: expected an integer");
  check(j.value("num_layers", int64_t(-1)) == config.numLayers && j.value("num_key_value_heads", int64_t(-1)) == config.numKvHeads &&
            j.value("head_dim", int64_t(-1)) == config.headDim,
        configPath.string() + ": the prefix was made for another architecture (num_layers, num_key_value_heads or head_dim differ)");
  // Same shapes do not make the same model: a prefix holds one family's keys and values.
  check(!j.contains("model_type") || j["model_type"] == config.modelType,
        configPath.string() + ": the prefix was trained on a " + j.value("model_type", std::string("?")) + " model; this model is " +
            config.modelType);
  const int64_t tokens = j["num_virtual_tokens"].get<int64_t>();
  check(tokens >= 1, configPath.string() + ": num_virtual_tokens must be >= 1");
  SafetensorsFile file(dir / "prefix_model.safetensors");
  check(file.contains("prompt_embeddings"), (dir / "prefix_model.safetensors").string() + ": missing tensor prompt_embeddings");
  auto t = file.tensor("prompt_embeddings");
  check(t.sizes().vec() == std::vector<int64_t>{tokens, config.numLayers * 2 * config.numKvHeads * config.headDim},
        (dir / "prefix_model.safetensors").string() + ": prompt_embeddings has the wrong shape");
  return PrefixTuning(config, t.to(device, torch::kFloat32).clone());
}

LoadedAdapter loadAdapter(LanguageModel& model, const std::filesystem::path& dir) {
  LoadedAdapter a;
  if (std::filesystem::exists(dir / "adapter_config.json")) {
    Lora::load(model, dir);  // the adapters stay attached to the model's layers
    a.lora = true;
  } else if (std::filesystem::exists(dir / "prefix_config.json")) {
    check(!model.config().isEncoderDecoder(), dir.string() + ": prefix tuning applies to decoder-only models; model_type '" +
                                                  model.config().modelType + "' is an encoder-decoder");
    a.prefix.emplace(PrefixTuning::load(model.config(), dir, model.parameters().front().device()));
  } else {
    throw Error(dir.string() + ": not an adapter folder (expected adapter_config.json for LoRA or prefix_config.json for a prefix)");
  }
  return a;
}

void PrefixTuning::save(const std::filesystem::path& dir) const {
  std::filesystem::create_directories(dir);
  writeSafetensors(dir / "prefix_model.safetensors", {{"prompt_embeddings", embedding_.detach().to(torch::kFloat32)}});
  const nlohmann::ordered_json config = {{"peft_type", "PREFIX_TUNING"}, {"task_type", "CAUSAL_LM"}, {"model_type", config_.modelType}, {"num_virtual_tokens", virtualTokens_},
                                         {"num_layers", config_.numLayers}, {"num_key_value_heads", config_.numKvHeads},
                                         {"head_dim", config_.headDim}, {"prefix_projection", false}};
  writeTextAtomically(dir / "prefix_config.json", config.dump(2) + "\n");
}

}  // namespace gt
