#include "core/model/model_config.h"

#include <algorithm>

#include <cmath>

#include "core/model/activations.h"
#include "core/util/error.h"
#include "core/util/json_file.h"

namespace gt {
namespace {

// Typed access to config.json fields with errors that name the file and key.
class Fields {
 public:
  Fields(const nlohmann::json& j, std::string source) : j_(j), source_(std::move(source)) {}

  bool has(const char* key) const { return j_.contains(key) && !j_[key].is_null(); }

  int64_t integer(const char* key) const {
    check(has(key), source_ + ": missing required field '" + key + "'");
    return integerOr(key, 0);
  }
  int64_t integerOr(const char* key, int64_t fallback) const {
    if (!has(key)) return fallback;
    check(j_[key].is_number_integer(), source_ + ": field '" + key + "' must be an integer, got " + j_[key].dump());
    return j_[key].get<int64_t>();
  }
  int64_t positive(const char* key) const {
    int64_t v = integer(key);
    check(v > 0, source_ + ": field '" + key + "' must be positive, got " + std::to_string(v));
    return v;
  }
  double numberOr(const char* key, double fallback) const {
    if (!has(key)) return fallback;
    check(j_[key].is_number(), source_ + ": field '" + key + "' must be a number, got " + j_[key].dump());
    return j_[key].get<double>();
  }
  // A dropout probability: a number in [0, 1].
  double rateOr(const char* key, double fallback) const {
    const double v = numberOr(key, fallback);  // the fallbacks are valid, so a bad value was read from the file
    if (!(v >= 0 && v <= 1))
      check(false, source_ + ": field '" + key + "' is a dropout probability, expected a number from 0 to 1, got " + j_[key].dump());
    return v;
  }
  bool boolOr(const char* key, bool fallback) const {
    if (!has(key)) return fallback;
    check(j_[key].is_boolean(), source_ + ": field '" + key + "' must be true or false, got " + j_[key].dump());
    return j_[key].get<bool>();
  }
  std::string stringOr(const char* key, const std::string& fallback) const {
    if (!has(key)) return fallback;
    check(j_[key].is_string(), source_ + ": field '" + key + "' must be a string, got " + j_[key].dump());
    return j_[key].get<std::string>();
  }
  // First key present among aliases (BLOOM accepts n_embed and hidden_size).
  const char* pick(std::initializer_list<const char*> keys) const {
    for (const char* k : keys)
      if (has(k)) return k;
    return *keys.begin();
  }
  const nlohmann::json& json() const { return j_; }
  const std::string& source() const { return source_; }

 private:
  const nlohmann::json& j_;
  std::string source_;
};

void readTokenIds(const Fields& f, ModelConfig& c) {
  c.bosTokenId = f.integerOr("bos_token_id", -1);
  c.padTokenId = f.integerOr("pad_token_id", -1);
  if (f.has("eos_token_id")) {
    const auto& e = f.json()["eos_token_id"];
    if (e.is_array()) {
      for (const auto& id : e) {
        check(id.is_number_integer(), f.source() + ": field 'eos_token_id' must hold integers");
        c.eosTokenIds.push_back(id.get<int64_t>());
      }
    } else {
      c.eosTokenIds.push_back(f.integer("eos_token_id"));
    }
  }
}

void readOpt(const Fields& f, ModelConfig& c) {
  c.hiddenSize = f.positive("hidden_size");
  c.numLayers = f.positive("num_hidden_layers");
  c.numHeads = f.positive("num_attention_heads");
  c.numKvHeads = c.numHeads;
  c.ffnDim = f.positive("ffn_dim");
  c.maxPositions = f.positive("max_position_embeddings");
  c.activation = f.stringOr("activation_function", "relu");
  c.doLayerNormBefore = f.boolOr("do_layer_norm_before", true);
  c.wordEmbedProjDim = f.integerOr("word_embed_proj_dim", c.hiddenSize);
  c.enableBias = f.boolOr("enable_bias", true);
  c.layerNormElementwiseAffine = f.boolOr("layer_norm_elementwise_affine", true);
  c.removeFinalLayerNorm = f.boolOr("_remove_final_layer_norm", false);
  c.tieWordEmbeddings = f.boolOr("tie_word_embeddings", true);
  c.normEps = 1e-5;  // OPT's LayerNorms use PyTorch's default eps
  c.hiddenDropout = f.rateOr("dropout", 0.1);
  c.attentionDropout = f.rateOr("attention_dropout", 0.0);
}

void readBloom(const Fields& f, ModelConfig& c) {
  c.hiddenSize = f.positive(f.pick({"hidden_size", "n_embed"}));
  c.numLayers = f.positive(f.pick({"n_layer", "num_hidden_layers"}));
  c.numHeads = f.positive(f.pick({"n_head", "num_attention_heads"}));
  c.numKvHeads = c.numHeads;
  c.ffnDim = 4 * c.hiddenSize;
  c.activation = "bloom_gelu";
  c.normEps = f.numberOr("layer_norm_epsilon", 1e-5);
  c.residualPostLayerNorm = f.boolOr("apply_residual_connection_post_layernorm", false);
  c.tieWordEmbeddings = f.boolOr("tie_word_embeddings", true);
  c.hiddenDropout = f.rateOr("hidden_dropout", 0.0);
  c.attentionDropout = f.rateOr("attention_dropout", 0.0);
}

void readGpt2(const Fields& f, ModelConfig& c) {
  c.hiddenSize = f.positive("n_embd");
  c.numLayers = f.positive("n_layer");
  c.numHeads = f.positive("n_head");
  c.numKvHeads = c.numHeads;
  c.ffnDim = f.integerOr("n_inner", 4 * c.hiddenSize);
  c.maxPositions = f.positive("n_positions");
  c.activation = f.stringOr("activation_function", "gelu_new");
  c.normEps = f.numberOr("layer_norm_epsilon", 1e-5);
  c.scaleAttnWeights = f.boolOr("scale_attn_weights", true);
  c.scaleAttnByInverseLayerIdx = f.boolOr("scale_attn_by_inverse_layer_idx", false);
  c.tieWordEmbeddings = f.boolOr("tie_word_embeddings", true);
  c.hiddenDropout = f.rateOr("resid_pdrop", 0.1);
  c.attentionDropout = f.rateOr("attn_pdrop", 0.1);
  c.embeddingDropout = f.rateOr("embd_pdrop", 0.1);
}

void readLlama(const Fields& f, ModelConfig& c, bool qwen2) {
  c.hiddenSize = f.positive("hidden_size");
  c.numLayers = f.positive("num_hidden_layers");
  c.numHeads = f.positive("num_attention_heads");
  c.numKvHeads = f.integerOr("num_key_value_heads", c.numHeads);
  c.headDim = f.integerOr("head_dim", c.hiddenSize / c.numHeads);
  c.ffnDim = f.positive("intermediate_size");
  c.maxPositions = 0;
  c.activation = f.stringOr("hidden_act", "silu");
  c.normEps = f.numberOr("rms_norm_eps", 1e-6);
  c.tieWordEmbeddings = f.boolOr("tie_word_embeddings", false);
  c.attentionDropout = f.rateOr("attention_dropout", 0.0);
  if (qwen2) {
    c.attentionBias = true;  // Qwen2: biases on q, k, v only
    c.outputProjBias = false;
    c.mlpBias = false;
  } else {
    c.attentionBias = f.boolOr("attention_bias", false);
    c.outputProjBias = c.attentionBias;
    c.mlpBias = f.boolOr("mlp_bias", false);
  }
  check(c.numKvHeads > 0 && c.numHeads % c.numKvHeads == 0,
        f.source() + ": num_attention_heads (" + std::to_string(c.numHeads) + ") must be a multiple of num_key_value_heads (" +
            std::to_string(c.numKvHeads) + ")");
  // transformers >= 5 keeps RoPE settings in rope_parameters; older files use rope_theta/rope_scaling.
  c.ropeTheta = f.numberOr("rope_theta", 10000.0);
  std::string ropeType = "default";
  for (const char* key : {"rope_parameters", "rope_scaling"}) {
    if (!f.has(key)) continue;
    const auto& r = f.json()[key];
    check(r.is_object(), f.source() + ": field '" + key + "' must be an object");
    if (r.contains("rope_theta")) c.ropeTheta = r["rope_theta"].get<double>();
    if (r.contains("rope_type")) ropeType = r["rope_type"].get<std::string>();
    else if (r.contains("type")) ropeType = r["type"].get<std::string>();
  }
  check(ropeType == "default", f.source() + ": rope_type '" + ropeType + "' is not supported (expected 'default')");
}

// T5 / FLAN-T5 (T5Config's names and defaults).
void readT5(const Fields& f, ModelConfig& c) {
  c.hiddenSize = f.positive("d_model");
  c.numHeads = f.positive("num_heads");
  c.numKvHeads = c.numHeads;
  c.headDim = f.positive("d_kv");
  c.ffnDim = f.positive("d_ff");
  c.numLayers = f.positive("num_layers");
  c.numDecoderLayers = f.has("num_decoder_layers") ? f.positive("num_decoder_layers") : c.numLayers;
  c.relativeAttentionNumBuckets = f.integerOr("relative_attention_num_buckets", 32);
  c.relativeAttentionMaxDistance = f.integerOr("relative_attention_max_distance", 128);
  check(c.relativeAttentionNumBuckets >= 4 && c.relativeAttentionMaxDistance > c.relativeAttentionNumBuckets / 4,
        f.source() + ": relative_attention_num_buckets must be >= 4 and relative_attention_max_distance above a quarter of it");
  c.normEps = f.numberOr("layer_norm_epsilon", 1e-6);
  c.enableBias = false;
  // feed_forward_proj: "ACT" or "gated-ACT"; T5Config maps "gated-gelu" to the tanh GELU (gelu_new).
  const std::string proj = f.stringOr("feed_forward_proj", "relu");
  const auto dash = proj.find('-');
  if (dash == std::string::npos) {
    c.activation = proj;
  } else {
    check(proj.substr(0, dash) == "gated" && proj.find('-', dash + 1) == std::string::npos,
          f.source() + ": feed_forward_proj '" + proj + "' is not valid (expected 'ACT' or 'gated-ACT', e.g. 'relu' or 'gated-gelu')");
    c.gatedFeedForward = true;
    c.activation = proj == "gated-gelu" ? "gelu_new" : proj.substr(dash + 1);
  }
  c.tieWordEmbeddings = f.boolOr("tie_word_embeddings", true);
  c.hiddenDropout = c.attentionDropout = c.embeddingDropout = f.rateOr("dropout_rate", 0.1);
  // transformers 5 names the head's input scaling; older configs imply it with a tied head.
  c.scaleDecoderOutputs = f.boolOr("scale_decoder_outputs", c.tieWordEmbeddings);
  c.decoderStartTokenId = f.integerOr("decoder_start_token_id", f.integerOr("pad_token_id", 0));
  check(c.decoderStartTokenId >= 0 && c.decoderStartTokenId < c.vocabSize,
        f.source() + ": decoder_start_token_id " + std::to_string(c.decoderStartTokenId) + " is outside the vocabulary [0, " +
            std::to_string(c.vocabSize) + ")");
}

}  // namespace

const std::vector<std::string>& ModelConfig::supportedTypes() {
  static const std::vector<std::string> types = {"opt", "bloom", "gpt2", "llama", "qwen2", "t5"};
  return types;
}

ModelConfig ModelConfig::fromJson(const nlohmann::json& json, const std::string& source) {
  check(json.is_object(), source + ": expected a JSON object");
  Fields f(json, source);
  ModelConfig c;
  c.raw = json;
  check(f.has("model_type"), source + ": missing required field 'model_type' (expected one of opt, bloom, gpt2, llama, qwen2, t5)");
  c.modelType = f.stringOr("model_type", "");
  c.vocabSize = f.positive("vocab_size");
  if (c.modelType == "opt") readOpt(f, c);
  else if (c.modelType == "bloom") readBloom(f, c);
  else if (c.modelType == "gpt2") readGpt2(f, c);
  else if (c.modelType == "llama") readLlama(f, c, false);
  else if (c.modelType == "qwen2") readLlama(f, c, true);
  else if (c.modelType == "t5") readT5(f, c);
  else
    throw Error(source + ": unsupported model_type '" + c.modelType + "' (expected one of opt, bloom, gpt2, llama, qwen2, t5)");
  if (c.headDim == 0) {
    check(c.hiddenSize % c.numHeads == 0, source + ": hidden size " + std::to_string(c.hiddenSize) +
                                              " is not divisible by the number of attention heads " + std::to_string(c.numHeads));
    c.headDim = c.hiddenSize / c.numHeads;
  }
  readTokenIds(f, c);
  try {
    activationByName(c.activation);
  } catch (const Error& e) {
    throw Error(source + ": " + e.what());
  }
  check(std::isfinite(c.normEps) && c.normEps > 0, source + ": the normalisation epsilon (rms_norm_eps / layer_norm_epsilon) must be a positive "
                                                            "number, got " + std::to_string(c.normEps));
  check(c.ffnDim > 0 && c.headDim > 0, source + ": the MLP size and head size must be positive");
  // The deepest released models have about 100-200 layers; far beyond that a config is corrupt.
  constexpr int64_t kMaxLayers = 10000;
  check(c.numLayers <= kMaxLayers && c.numDecoderLayers <= kMaxLayers,
        source + ": " + std::to_string(std::max(c.numLayers, c.numDecoderLayers)) + " layers is more than any model has (expected at most " +
            std::to_string(kMaxLayers) + "); the layer count (num_hidden_layers / n_layer / num_layers / num_decoder_layers) looks corrupt");
  checkEosTokenIds(c.eosTokenIds, c.vocabSize, source);
  check(c.padTokenId < c.vocabSize, source + ": pad_token_id " + std::to_string(c.padTokenId) + " is outside the vocabulary [0, " +
                                        std::to_string(c.vocabSize) + ")");
  return c;
}

void checkEosTokenIds(const std::vector<int64_t>& ids, int64_t vocabSize, const std::string& source) {
  for (int64_t id : ids)
    check(id >= 0 && id < vocabSize,
          source + ": eos_token_id " + std::to_string(id) + " is outside the vocabulary [0, " + std::to_string(vocabSize) + ")");
}

void checkTokenizerFitsModel(int64_t tokenizerTokens, const ModelConfig& config) {
  check(tokenizerTokens <= config.vocabSize, "tokenizer has " + std::to_string(tokenizerTokens) + " tokens but the model's vocab_size is " +
                                                 std::to_string(config.vocabSize) + " (tokenizer and model do not belong together)");
}

ModelConfig ModelConfig::fromFile(const std::filesystem::path& configJson) {
  check(std::filesystem::exists(configJson), configJson.string() + ": config.json not found");
  return fromJson(readJsonFile(configJson), configJson.string());
}

}  // namespace gt
