#include "core/model/t5.h"

#include <torch/nn.h>

#include <cmath>

#include "core/model/activations.h"
#include "core/model/adaptable_linear.h"
#include "core/model/attention.h"
#include "core/model/dropout.h"
#include "core/model/rms_norm.h"
#include "core/util/error.h"

namespace gt {
namespace {

namespace nn = torch::nn;

// T5Attention: q, k, v, o without biases and without the 1/sqrt(d_kv) scaling (T5 folds it into
// the initialisation); the first block of each stack also holds the relative position bias.
class T5Attention : public nn::Module {
 public:
  T5Attention(const ModelConfig& c, bool relativeBias, bool cross) : c_(c), cross_(cross) {
    const int64_t inner = c.numHeads * c.headDim;
    q_ = register_module("q", adaptableLinear(c.hiddenSize, inner, false));
    k_ = register_module("k", adaptableLinear(c.hiddenSize, inner, false));
    v_ = register_module("v", adaptableLinear(c.hiddenSize, inner, false));
    o_ = register_module("o", adaptableLinear(inner, c.hiddenSize, false));
    if (relativeBias) relativeBias_ = register_module("relative_attention_bias", nn::Embedding(c.relativeAttentionNumBuckets, c.numHeads));
  }

  // Position bias [1, H, T, S] for queries at positions past .. past + T - 1 and keys 0 .. S - 1.
  torch::Tensor positionBias(int64_t queryLen, int64_t keyLen, int64_t past, bool bidirectional) {
    const auto opts = torch::TensorOptions().dtype(torch::kLong).device(relativeBias_->weight.device());
    auto context = torch::arange(past, past + queryLen, opts).unsqueeze(1);
    auto memory = torch::arange(0, keyLen, opts).unsqueeze(0);
    auto buckets = relativePositionBucket(memory - context, bidirectional, c_.relativeAttentionNumBuckets, c_.relativeAttentionMaxDistance);
    return relativeBias_(buckets).permute({2, 0, 1}).unsqueeze(0);
  }

  // x [B, T, D] queries; keys and values from x itself (self-attention, extended by `cache`) or
  // from `memory` (cross-attention: the encoder output, projected once and kept in `cache`; not
  // read once the cache holds them, so it may then be undefined).
  torch::Tensor forward(const torch::Tensor& x, const torch::Tensor& bias, KVCache* cache, size_t layer, const torch::Tensor& memory = {}) {
    auto q = splitHeads(q_(x), c_.numHeads, c_.headDim);
    torch::Tensor k, v;
    if (!cross_) {
      k = splitHeads(k_(x), c_.numHeads, c_.headDim);
      v = splitHeads(v_(x), c_.numHeads, c_.headDim);
      if (cache) std::tie(k, v) = cache->append(layer, k, v);
    } else if (cache && cache->keys.size() > layer && cache->keys[layer].defined()) {
      k = cache->keys[layer];
      v = cache->values[layer];
    } else {
      check(memory.defined(), "T5 decode: the encoder output is needed until the cache holds the cross-attention keys and values");
      k = splitHeads(k_(memory), c_.numHeads, c_.headDim);
      v = splitHeads(v_(memory), c_.numHeads, c_.headDim);
      if (cache) cache->append(layer, k, v);
    }
    return o_(attention(q, k, v, {bias, false}, 1.0, is_training() ? c_.attentionDropout : 0.0));
  }


 private:
  ModelConfig c_;
  bool cross_;
  AdaptableLinear q_{nullptr}, k_{nullptr}, v_{nullptr}, o_{nullptr};
  nn::Embedding relativeBias_{nullptr};
};

// T5LayerFF: x + FFN(norm(x)); the FFN is wo(act(wi x)) or, gated, wo(act(wi_0 x) * wi_1 x).
class T5LayerFF : public nn::Module {
 public:
  explicit T5LayerFF(const ModelConfig& c) : act_(activationByName(c.activation)), dropout_(c.hiddenDropout) {
    auto ffn = register_module("DenseReluDense", std::make_shared<nn::Module>());
    if (c.gatedFeedForward) {
      wi0_ = ffn->register_module("wi_0", adaptableLinear(c.hiddenSize, c.ffnDim, false));
      wi1_ = ffn->register_module("wi_1", adaptableLinear(c.hiddenSize, c.ffnDim, false));
    } else {
      wi0_ = ffn->register_module("wi", adaptableLinear(c.hiddenSize, c.ffnDim, false));
    }
    wo_ = ffn->register_module("wo", adaptableLinear(c.ffnDim, c.hiddenSize, false));
    norm_ = register_module("layer_norm", std::make_shared<RmsNorm>(c.hiddenSize, c.normEps));
  }

  torch::Tensor forward(const torch::Tensor& h) {
    auto x = norm_->forward(h);
    auto inner = act_(wi0_(x));
    if (!wi1_.is_empty()) inner = inner * wi1_(x);
    // dropout_rate (training only) before wo and on the FFN's output, as T5DenseActDense and T5LayerFF apply it.
    const bool training = is_training();
    return h + dropoutInTraining(wo_(dropoutInTraining(inner, dropout_, training)), dropout_, training);
  }

 private:
  Activation act_;
  double dropout_ = 0;
  AdaptableLinear wi0_{nullptr}, wi1_{nullptr}, wo_{nullptr};
  std::shared_ptr<RmsNorm> norm_;
};

// T5LayerSelfAttention / T5LayerCrossAttention: x + attention(norm(x)).
class T5LayerAttention : public nn::Module {
 public:
  T5LayerAttention(const ModelConfig& c, const char* name, bool relativeBias, bool cross) : dropout_(c.hiddenDropout) {
    attention_ = register_module(name, std::make_shared<T5Attention>(c, relativeBias, cross));
    norm_ = register_module("layer_norm", std::make_shared<RmsNorm>(c.hiddenSize, c.normEps));
  }
  torch::Tensor forward(const torch::Tensor& h, const torch::Tensor& bias, KVCache* cache, size_t layer, const torch::Tensor& memory = {}) {
    return h + dropoutInTraining(attention_->forward(norm_->forward(h), bias, cache, layer, memory), dropout_, is_training());
  }
  T5Attention& attention() { return *attention_; }

 private:
  double dropout_;
  std::shared_ptr<T5Attention> attention_;
  std::shared_ptr<RmsNorm> norm_;
};

// T5Block: layer.0 self-attention, (decoder) layer.1 cross-attention, then the FFN.
class T5Block : public nn::Module {
 public:
  T5Block(const ModelConfig& c, bool decoder, bool relativeBias) {
    layers_ = register_module("layer", nn::ModuleList());
    self_ = std::make_shared<T5LayerAttention>(c, "SelfAttention", relativeBias, false);
    layers_->push_back(self_);
    if (decoder) {
      cross_ = std::make_shared<T5LayerAttention>(c, "EncDecAttention", false, true);
      layers_->push_back(cross_);
    }
    ffn_ = std::make_shared<T5LayerFF>(c);
    layers_->push_back(ffn_);
  }

  torch::Tensor forward(torch::Tensor h, const torch::Tensor& selfBias, Seq2SeqCache* cache, size_t index,
                        const torch::Tensor& memory = {}, const torch::Tensor& crossBias = {}) {
    h = self_->forward(h, selfBias, cache ? &cache->self : nullptr, index);
    if (cross_) h = cross_->forward(h, crossBias, cache ? &cache->cross : nullptr, index, memory);
    return ffn_->forward(h);
  }
  T5Attention& selfAttention() { return self_->attention(); }

 private:
  nn::ModuleList layers_{nullptr};
  std::shared_ptr<T5LayerAttention> self_, cross_;
  std::shared_ptr<T5LayerFF> ffn_;
};

// T5Stack: blocks and a final RMSNorm (the token embedding is the model's shared one).
class T5Stack : public nn::Module {
 public:
  T5Stack(const ModelConfig& c, bool decoder) : decoder_(decoder), dropout_(c.embeddingDropout) {
    blocks_ = register_module("block", nn::ModuleList());
    const int64_t n = decoder ? c.numDecoderLayers : c.numLayers;
    for (int64_t i = 0; i < n; ++i) blocks_->push_back(std::make_shared<T5Block>(c, decoder, i == 0));
    finalNorm_ = register_module("final_layer_norm", std::make_shared<RmsNorm>(c.hiddenSize, c.normEps));
  }

  // h: embedded tokens [B, T, D]. mask: the additive attention mask of the stack's own tokens,
  // broadcastable to [B, 1, T, past + T]. Decoder: memory, crossMask (additive, [B, 1, 1, S]), cache.
  torch::Tensor forward(torch::Tensor h, const torch::Tensor& mask, Seq2SeqCache* cache = nullptr, const torch::Tensor& memory = {},
                        const torch::Tensor& crossMask = {}) {
    const int64_t past = cache ? cache->length() : 0;
    const bool training = is_training();
    h = dropoutInTraining(h, dropout_, training);  // dropout_rate on the stack's input and output, as T5Stack
    auto* first = blocks_[0]->as<T5Block>();
    // The first block's bias serves every block of the stack (transformers passes it along).
    const auto bias = first->selfAttention().positionBias(h.size(1), past + h.size(1), past, !decoder_).to(h.scalar_type()) + mask;
    for (size_t i = 0; i < blocks_->size(); ++i) h = blocks_[i]->as<T5Block>()->forward(h, bias, cache, i, memory, crossMask);
    return dropoutInTraining(finalNorm_->forward(h), dropout_, training);
  }

 private:
  bool decoder_;
  double dropout_;
  nn::ModuleList blocks_{nullptr};
  std::shared_ptr<RmsNorm> finalNorm_;
};

// 0 where attention_mask is 1, the dtype's lowest value where it is 0: [B, 1, 1, S].
torch::Tensor paddingBias(const torch::Tensor& attentionMask, torch::ScalarType dtype) {
  auto lowest = torch::full({}, dtype == torch::kFloat32 ? double(std::numeric_limits<float>::lowest())
                                : dtype == torch::kFloat16 ? -65504.0
                                : dtype == torch::kBFloat16 ? -3.3895313892515355e38
                                                            : std::numeric_limits<double>::lowest(),
                            torch::TensorOptions().dtype(dtype).device(attentionMask.device()));
  return torch::where(attentionMask.to(torch::kBool), torch::zeros({}, lowest.options()), lowest).unsqueeze(1).unsqueeze(2);
}

class T5ForConditionalGeneration : public Seq2SeqLM {
 public:
  explicit T5ForConditionalGeneration(const ModelConfig& config) : Seq2SeqLM(config) {
    const auto& c = config_;
    shared_ = register_module("shared", nn::Embedding(c.vocabSize, c.hiddenSize));
    encoder_ = register_module("encoder", std::make_shared<T5Stack>(c, false));
    decoder_ = register_module("decoder", std::make_shared<T5Stack>(c, true));
    if (!c.tieWordEmbeddings) lmHead_ = register_module("lm_head", adaptableLinear(c.hiddenSize, c.vocabSize, false));
  }

  torch::Tensor encode(const torch::Tensor& inputIds, const torch::Tensor& attentionMask) override {
    const auto mask = fullAttentionMask(attentionMask, inputIds, 0);
    auto h = shared_(inputIds);
    return encoder_->forward(h, paddingBias(mask, h.scalar_type()));
  }

  torch::Tensor decode(const torch::Tensor& decoderInputIds, const torch::Tensor& encoderHidden, const torch::Tensor& encoderMask,
                       Seq2SeqCache* cache) override {
    const int64_t past = cache ? cache->length() : 0;
    auto h = shared_(decoderInputIds);
    const auto dtype = h.scalar_type();
    const auto selfMask = causalAttentionBias(fullAttentionMask({}, decoderInputIds, past), decoderInputIds.size(1), past, dtype);
    check(encoderMask.defined() || encoderHidden.defined(), "T5 decode: give the encoder output or its attention mask");
    const auto crossMask = paddingBias(encoderMask.defined() ? encoderMask : torch::ones({encoderHidden.size(0), encoderHidden.size(1)},
                                                                                          decoderInputIds.options()),
                                       dtype);
    h = decoder_->forward(h, selfMask, cache, encoderHidden, crossMask);
    if (config_.scaleDecoderOutputs) h = h * std::pow(double(config_.hiddenSize), -0.5);
    return lmHead_.is_empty() ? torch::matmul(h, shared_->weight.t()) : lmHead_(h);
  }

  torch::Tensor inputEmbeddingWeight() override { return shared_->weight; }

  // transformers saves (and older checkpoints hold) the shared embedding under these names too.
  std::vector<std::string> tiedCheckpointNames() const override {
    std::vector<std::string> names = {"encoder.embed_tokens.weight", "decoder.embed_tokens.weight"};
    if (config_.tieWordEmbeddings) names.push_back("lm_head.weight");
    return names;
  }

 private:
  nn::Embedding shared_{nullptr};
  std::shared_ptr<T5Stack> encoder_, decoder_;
  AdaptableLinear lmHead_{nullptr};
};

}  // namespace

torch::Tensor relativePositionBucket(const torch::Tensor& relativePosition, bool bidirectional, int64_t numBuckets, int64_t maxDistance) {
  auto buckets = torch::zeros_like(relativePosition);
  torch::Tensor distance;
  if (bidirectional) {
    numBuckets /= 2;
    buckets = buckets + (relativePosition > 0).to(torch::kLong) * numBuckets;
    distance = relativePosition.abs();
  } else {
    distance = -relativePosition.clamp_max(0);  // a decoder never looks ahead
  }
  const int64_t maxExact = numBuckets / 2;
  // In float32 as transformers computes it, so the buckets agree at their boundaries.
  auto large = (torch::log(distance.to(torch::kFloat32) / double(maxExact)) / std::log(double(maxDistance) / double(maxExact)) *
                double(numBuckets - maxExact))
                   .to(torch::kLong) +
               maxExact;
  large = large.clamp_max(numBuckets - 1);
  return buckets + torch::where(distance < maxExact, distance, large);
}

std::shared_ptr<Seq2SeqLM> createT5(const ModelConfig& config) { return std::make_shared<T5ForConditionalGeneration>(config); }

}  // namespace gt
