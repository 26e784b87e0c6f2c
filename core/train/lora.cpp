#include "core/train/lora.h"

#include <algorithm>
#include <cmath>
#include <nlohmann/json.hpp>

#include "core/io/safetensors.h"
#include "core/util/atomic_file.h"
#include "core/util/error.h"
#include "core/util/json_file.h"

namespace gt {
namespace fs = std::filesystem;

namespace {

std::string peftName(const std::string& module, const char* which) { return "base_model.model." + module + "." + which + ".weight"; }

std::string lastComponent(const std::string& path) {
  const auto dot = path.rfind('.');
  return dot == std::string::npos ? path : path.substr(dot + 1);
}

}  // namespace

std::vector<std::string> defaultLoraTargets(const ModelConfig& config) {
  if (config.modelType == "bloom") return {"query_key_value"};
  if (config.isEncoderDecoder()) return {"q", "v"};
  check(config.modelType != "gpt2", "LoRA: GPT-2's fused c_attn is a Conv1D layer, which LoRA here does not adapt (supported: opt, llama, qwen2, bloom)");
  return {"q_proj", "v_proj"};
}

Lora::Lora(LanguageModel& model, LoraConfig config) : config_(std::move(config)), encoderDecoder_(model.config().isEncoderDecoder()) {
  check(config_.rank >= 1, "LoRA: rank must be >= 1, got " + std::to_string(config_.rank));
  check(config_.dropout >= 0 && config_.dropout < 1, "LoRA: dropout must be in [0, 1), got " + std::to_string(config_.dropout));
  if (config_.targets.empty()) config_.targets = defaultLoraTargets(model.config());
  std::vector<bool> used(config_.targets.size(), false);
  for (const auto& item : model.named_modules("", false)) {
    auto layer = std::dynamic_pointer_cast<AdaptableLinearImpl>(item.value());
    if (!layer) continue;
    const auto it = std::find(config_.targets.begin(), config_.targets.end(), lastComponent(item.key()));
    if (it == config_.targets.end()) continue;
    used[size_t(it - config_.targets.begin())] = true;
    check(!layer->lora, "LoRA: " + item.key() + " already has an adapter");
    attached_.push_back({item.key(), layer, std::make_shared<LoraAdapter>()});
  }
  for (size_t i = 0; i < used.size(); ++i)
    check(used[i], "LoRA: target '" + config_.targets[i] + "' matches no linear layer of this " + model.config().modelType + " model");
}

Lora::Lora(LanguageModel& model, LoraConfig config, uint64_t seed) : Lora(model, std::move(config)) {
  torch::manual_seed(seed);
  torch::NoGradGuard noGrad;
  for (auto& a : attached_) {
    const auto& w = a.layer->weight;
    const int64_t in = w.size(1), out = w.size(0);
    check(config_.rank <= std::min(in, out), "lora_rank (--lora-rank " + std::to_string(config_.rank) + ") must be at most " +
                                                  std::to_string(std::min(in, out)) + ", the smaller side of " + a.module + " (" +
                                                  std::to_string(out) + " x " + std::to_string(in) + ")");
    a.adapter->a = torch::empty({config_.rank, in}, w.options()).uniform_(-1.0 / std::sqrt(double(in)), 1.0 / std::sqrt(double(in)));
    a.adapter->b = torch::zeros({out, config_.rank}, w.options());
    a.adapter->a.set_requires_grad(true);
    a.adapter->b.set_requires_grad(true);
    a.adapter->scaling = config_.alpha / double(config_.rank);
    a.adapter->dropout = config_.dropout;
    a.layer->lora = a.adapter;
  }
}

Lora Lora::load(LanguageModel& model, const fs::path& dir) {
  const auto configPath = dir / "adapter_config.json";
  const auto j = readJsonFile(configPath);
  auto field = [&](const char* key) -> const nlohmann::json& {
    check(j.contains(key), configPath.string() + ": missing \"" + key + "\"");
    return j.at(key);
  };
  check(field("peft_type") == "LORA", configPath.string() + ": peft_type: expected \"LORA\", got " + field("peft_type").dump());
  check(!j.value("use_dora", false) && !j.value("use_rslora", false) && !j.value("fan_in_fan_out", false),
        configPath.string() + ": DoRA, rsLoRA and fan_in_fan_out adapters are not supported");
  LoraConfig c;
  check(field("r").is_number_integer() && field("lora_alpha").is_number(), configPath.string() + ": r must be an integer and lora_alpha a number");
  c.rank = field("r").get<int64_t>();
  c.alpha = field("lora_alpha").get<double>();
  c.dropout = j.value("lora_dropout", 0.0);
  check(field("target_modules").is_array(), configPath.string() + ": target_modules: expected a list of module names");
  c.targets = field("target_modules").get<std::vector<std::string>>();
  Lora lora(model, c);
  SafetensorsFile file(dir / "adapter_model.safetensors");
  torch::NoGradGuard noGrad;
  for (auto& a : lora.attached_) {
    const auto& w = a.layer->weight;
    for (const char* which : {"lora_A", "lora_B"}) {
      const auto name = peftName(a.module, which);
      check(file.contains(name), (dir / "adapter_model.safetensors").string() + ": missing tensor " + name);
      auto t = file.tensor(name);
      const std::vector<int64_t> expected = std::string(which) == "lora_A" ? std::vector<int64_t>{c.rank, w.size(1)}
                                                                           : std::vector<int64_t>{w.size(0), c.rank};
      check(t.sizes().vec() == expected, (dir / "adapter_model.safetensors").string() + ": " + name + " has the wrong shape");
      (std::string(which) == "lora_A" ? a.adapter->a : a.adapter->b) = t.to(w.options()).clone().set_requires_grad(true);
    }
    a.adapter->scaling = c.alpha / double(c.rank);
    a.adapter->dropout = c.dropout;
    a.layer->lora = a.adapter;
  }
  return lora;
}

std::vector<std::pair<std::string, torch::Tensor>> Lora::parameters() const {
  std::vector<std::pair<std::string, torch::Tensor>> out;
  for (const auto& a : attached_) {
    out.emplace_back(peftName(a.module, "lora_A"), a.adapter->a);
    out.emplace_back(peftName(a.module, "lora_B"), a.adapter->b);
  }
  return out;
}

std::vector<std::string> Lora::adaptedWeights() const {
  std::vector<std::string> out;
  for (const auto& a : attached_) out.push_back(a.module + ".weight");
  return out;
}

double Lora::stepFlops(const FlopsProfile& shape) const {
  const double tokens = double(shape.batch * shape.seq), decoderTokens = double(shape.batch * shape.decoderSeq);
  double f = 0;
  for (const auto& a : attached_) {
    const bool readsEncoder = !encoderDecoder_ || a.module.rfind("encoder.", 0) == 0 || a.module.find("EncDecAttention.k") != std::string::npos ||
                              a.module.find("EncDecAttention.v") != std::string::npos;
    const double n = readsEncoder ? tokens : decoderTokens;
    f += 3.0 * 2.0 * n * double(config_.rank) * double(a.layer->weight.size(0) + a.layer->weight.size(1));
  }
  return f;
}

void Lora::save(const fs::path& dir, const std::string& baseModel) const {
  fs::create_directories(dir);
  std::vector<std::pair<std::string, torch::Tensor>> tensors;
  for (const auto& [name, t] : parameters()) tensors.emplace_back(name, t.detach().to(torch::kFloat32));
  writeSafetensors(dir / "adapter_model.safetensors", tensors);
  const nlohmann::ordered_json config = {{"peft_type", "LORA"},         {"task_type", encoderDecoder_ ? "SEQ_2_SEQ_LM" : "CAUSAL_LM"},  {"base_model_name_or_path", baseModel},
                                         {"r", config_.rank},           {"lora_alpha", config_.alpha}, {"lora_dropout", config_.dropout},
                                         {"target_modules", config_.targets}, {"bias", "none"},     {"fan_in_fan_out", false},
                                         {"use_dora", false},           {"use_rslora", false},       {"inference_mode", true}};
  writeTextAtomically(dir / "adapter_config.json", config.dump(2) + "\n");
}

void Lora::mergeAndDetach() {
  torch::NoGradGuard noGrad;
  for (auto& a : attached_) {
    a.layer->weight.add_((a.adapter->b.matmul(a.adapter->a) * a.adapter->scaling).to(a.layer->weight.scalar_type()));
    a.layer->lora.reset();
  }
  attached_.clear();
}

}  // namespace gt
