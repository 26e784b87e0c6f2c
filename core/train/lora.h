// LoRA (Hu et al. 2021) as PEFT implements it: adapters A [r, in] and B [out, r] on chosen linear
// layers, y = base(x) + alpha/r * B(A(dropout(x))); A starts kaiming-uniform (bound 1/sqrt(in)),
// B at zero, so training starts from the base model. Only A and B train. Saved as PEFT does:
// adapter_config.json + adapter_model.safetensors with names
// "base_model.model.<module path>.lora_A.weight", so peft.PeftModel.from_pretrained loads it.
#pragma once
#include <filesystem>
#include <string>
#include <utility>
#include <vector>

#include "core/model/adaptable_linear.h"
#include "core/green/flops_profiler.h"
#include "core/model/language_model.h"

namespace gt {

struct LoraConfig {
  int64_t rank = 8;
  double alpha = 32;
  double dropout = 0.1;
  std::vector<std::string> targets;  // last component of the module path; empty: the family's query and value
};

// q_proj/v_proj (OPT, Llama, Qwen2), query_key_value (BLOOM), q/v (T5: self- and cross-attention,
// encoder and decoder, as PEFT's default). Throws for GPT-2 (Conv1D layers).
std::vector<std::string> defaultLoraTargets(const ModelConfig& config);

class Lora {
 public:
  // Attaches fresh adapters to every linear layer whose name is in config.targets.
  // Throws gt::Error when a target matches no linear layer or the rank is not positive.
  Lora(LanguageModel& model, LoraConfig config, uint64_t seed);
  // Attaches the adapters of a PEFT folder; every expected tensor must be there with its shape.
  static Lora load(LanguageModel& model, const std::filesystem::path& dir);

  const LoraConfig& config() const { return config_; }
  // PEFT names and tensors (A and B of every adapter), in module order.
  std::vector<std::pair<std::string, torch::Tensor>> parameters() const;
  // Checkpoint names of the adapted weights (e.g. model.layers.0.self_attn.q_proj.weight).
  std::vector<std::string> adaptedWeights() const;
  // Matmul FLOPs the adapters add to one training step of the profile's shape: forward
  // 2·N·r·(in + out) per adapter over the N tokens its layer reads, backward twice that (input and
  // A/B gradients). An encoder-decoder's encoder layers and cross-attention k/v read the encoder's
  // tokens, the decoder's other layers the decoder's. Conservative: the input gradient of the lowest
  // adapters (below which nothing trains) is counted though autograd skips it.
  double stepFlops(const FlopsProfile& shape) const;

  // Writes adapter_config.json + adapter_model.safetensors (atomically).
  void save(const std::filesystem::path& dir, const std::string& baseModel) const;
  // W += alpha/r · B·A for every adapter, then removes the adapters (the model is plain again).
  void mergeAndDetach();

 private:
  struct Attached {
    std::string module;  // module path, e.g. model.layers.0.self_attn.q_proj
    std::shared_ptr<AdaptableLinearImpl> layer;
    std::shared_ptr<LoraAdapter> adapter;
  };
  Lora(LanguageModel& model, LoraConfig config);
  LoraConfig config_;
  bool encoderDecoder_ = false;  // PEFT's task_type: SEQ_2_SEQ_LM, else CAUSAL_LM
  std::vector<Attached> attached_;
};

}  // namespace gt
