// LanguageModel: what every model family shares, decoder-only (CausalLM, causal_lm.h) or
// encoder-decoder (Seq2SeqLM, seq2seq_lm.h): the architecture it was built from, parameters
// registered under their Hugging Face names (named_parameters() == the checkpoint's tensor
// names), the token embedding, and activation checkpointing.
#pragma once
#include <torch/nn/module.h>
#include <torch/types.h>

#include <string>
#include <vector>

#include "core/model/model_config.h"

namespace gt {

class LanguageModel : public torch::nn::Module {
 public:
  explicit LanguageModel(ModelConfig config) : config_(std::move(config)) {}
  ~LanguageModel() override = default;

  const ModelConfig& config() const { return config_; }

  // The learned token embedding matrix (also the output projection when tied).
  virtual torch::Tensor inputEmbeddingWeight() = 0;

  // Checkpoint tensor names that hold a copy of one of the parameters (Hugging Face's tied
  // weights, e.g. T5's encoder.embed_tokens.weight, the same matrix as shared.weight): read
  // without a warning and not loaded twice.
  virtual std::vector<std::string> tiedCheckpointNames() const { return {}; }

  // Activation checkpointing of every block while training (core/model/activation_checkpoint.h);
  // forwards with a KV cache (generation, prefix tuning) are never checkpointed.
  void setGradientCheckpointing(bool on) { gradientCheckpointing_ = on; }
  bool gradientCheckpointing() const { return gradientCheckpointing_; }

 protected:
  ModelConfig config_;
  bool gradientCheckpointing_ = false;
};

}  // namespace gt
