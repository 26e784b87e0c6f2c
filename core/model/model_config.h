// ModelConfig: the architecture read from a Hugging Face config.json, with HF key names and
// HF defaults per family. One struct for all families; fields a family does not use keep defaults.
#pragma once
#include <nlohmann/json.hpp>

#include <filesystem>
#include <string>
#include <vector>

namespace gt {

struct ModelConfig {
  std::string modelType;  // opt, bloom, gpt2, llama, qwen2 (decoder-only); t5 (encoder-decoder)
  int64_t vocabSize = 0;
  int64_t hiddenSize = 0;
  int64_t numLayers = 0;
  int64_t numHeads = 0;
  int64_t numKvHeads = 0;  // grouped-query attention (llama/qwen2); = numHeads elsewhere
  int64_t headDim = 0;
  int64_t ffnDim = 0;
  int64_t maxPositions = 0;  // 0: no learned positions (bloom, llama)
  double normEps = 1e-5;
  std::string activation;  // relu, gelu, gelu_new, silu, ...
  bool tieWordEmbeddings = true;
  // Dropout in training, from each family's fields (0: none):
  double hiddenDropout = 0;     // on each sub-layer's output before its residual add (OPT dropout, GPT-2
                                // resid_pdrop, BLOOM hidden_dropout, T5 dropout_rate)
  double attentionDropout = 0;  // on the attention probabilities (attention_dropout, GPT-2 attn_pdrop, T5 dropout_rate)
  double embeddingDropout = 0;  // on the input embeddings (GPT-2 embd_pdrop; T5 dropout_rate on each stack's input)

  // OPT
  bool doLayerNormBefore = true;
  int64_t wordEmbedProjDim = 0;
  bool enableBias = true;
  bool layerNormElementwiseAffine = true;
  bool removeFinalLayerNorm = false;
  // GPT-2
  bool scaleAttnWeights = true;
  bool scaleAttnByInverseLayerIdx = false;
  // BLOOM
  bool residualPostLayerNorm = false;
  // Llama / Qwen2
  double ropeTheta = 10000.0;
  bool attentionBias = false;  // q, k, v (and o for llama) projections
  bool outputProjBias = false;
  bool mlpBias = false;
  // T5 (encoder-decoder): numLayers is the encoder's depth; the FFN is gated (act(wi_0 x) * wi_1 x)
  // when feed_forward_proj says "gated-ACT".
  int64_t numDecoderLayers = 0;
  int64_t relativeAttentionNumBuckets = 32;
  int64_t relativeAttentionMaxDistance = 128;
  bool gatedFeedForward = false;
  bool scaleDecoderOutputs = false;  // the tied head sees decoder output * d_model^-0.5
  int64_t decoderStartTokenId = -1;

  bool isEncoderDecoder() const { return modelType == "t5"; }

  std::vector<int64_t> eosTokenIds;
  int64_t bosTokenId = -1;
  int64_t padTokenId = -1;

  nlohmann::json raw;  // the config.json as read, written back on save

  static const std::vector<std::string>& supportedTypes();
  // Throws gt::Error naming the file and field (unknown model_type lists the accepted ones).
  static ModelConfig fromJson(const nlohmann::json& json, const std::string& source = "config.json");
  static ModelConfig fromFile(const std::filesystem::path& configJson);
};

// Refuses a tokenizer with more tokens than the model's vocabulary: its ids would index past the
// embedding (the tokenizer and the model do not belong together).
void checkTokenizerFitsModel(int64_t tokenizerTokens, const ModelConfig& config);
// Refuses an eos_token_id outside [0, vocab_size), naming `source` (config.json or generation_config.json).
void checkEosTokenIds(const std::vector<int64_t>& ids, int64_t vocabSize, const std::string& source);

}  // namespace gt
