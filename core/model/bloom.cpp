#include "core/model/bloom.h"

#include <torch/nn.h>

#include <cmath>

#include "core/model/activations.h"
#include "core/model/adaptable_linear.h"
#include "core/model/attention.h"
#include "core/model/dropout.h"

namespace gt {

torch::Tensor alibiSlopes(int64_t heads) {
  // Geometric slopes 2^(-8/n * i) for the closest power of two, interleaved extras otherwise.
  const int64_t closest = int64_t(1) << int64_t(std::floor(std::log2(double(heads))));
  const double base = std::pow(2.0, -std::pow(2.0, -(std::log2(double(closest)) - 3)));
  std::vector<float> slopes;
  for (int64_t i = 1; i <= closest; ++i) slopes.push_back(float(std::pow(base, double(i))));
  if (closest != heads) {
    const double extraBase = std::pow(2.0, -std::pow(2.0, -(std::log2(double(2 * closest)) - 3)));
    const int64_t remaining = std::min(closest, heads - closest);
    for (int64_t i = 0; i < remaining; ++i) slopes.push_back(float(std::pow(extraBase, double(1 + 2 * i))));
  }
  return torch::tensor(slopes, torch::kFloat32);
}

namespace {

namespace nn = torch::nn;

class BloomBlock : public nn::Module {
 public:
  BloomBlock(const ModelConfig& c, int64_t index) : c_(c), index_(index), act_(activationByName(c.activation)) {
    const auto ln = nn::LayerNormOptions({c.hiddenSize}).eps(c.normEps);
    inputNorm_ = register_module("input_layernorm", nn::LayerNorm(ln));
    auto attn = register_module("self_attention", std::make_shared<nn::Module>());
    qkv_ = attn->register_module("query_key_value", adaptableLinear(c.hiddenSize, 3 * c.hiddenSize));
    dense_ = attn->register_module("dense", adaptableLinear(c.hiddenSize, c.hiddenSize));
    postNorm_ = register_module("post_attention_layernorm", nn::LayerNorm(ln));
    auto mlp = register_module("mlp", std::make_shared<nn::Module>());
    up_ = mlp->register_module("dense_h_to_4h", adaptableLinear(c.hiddenSize, c.ffnDim));
    down_ = mlp->register_module("dense_4h_to_h", adaptableLinear(c.ffnDim, c.hiddenSize));
  }

  torch::Tensor forward(const torch::Tensor& h, const AttentionBias& bias, KVCache* cache) {
    auto x = inputNorm_(h);
    auto residual = c_.residualPostLayerNorm ? x : h;
    const int64_t B = h.size(0), T = h.size(1);
    // Fused projection, per head (q, k, v): [B, T, H, 3, D].
    auto fused = qkv_(x).view({B, T, c_.numHeads, 3, c_.headDim});
    auto q = fused.select(3, 0).transpose(1, 2);
    auto k = fused.select(3, 1).transpose(1, 2);
    auto v = fused.select(3, 2).transpose(1, 2);
    if (cache) std::tie(k, v) = cache->append(index_, k, v);
    // Dropout (training only): attention_dropout on the probabilities, hidden_dropout on each sub-layer's
    // output before its residual add (HF's dropout_add).
    const bool training = is_training();
    auto attnOut = residual + dropoutInTraining(dense_(attention(q, k, v, bias, 1.0 / std::sqrt(double(c_.headDim)),
                                                                 training ? c_.attentionDropout : 0.0)),
                                                c_.hiddenDropout, training);

    x = postNorm_(attnOut);
    residual = c_.residualPostLayerNorm ? x : attnOut;
    return residual + dropoutInTraining(down_(act_(up_(x))), c_.hiddenDropout, training);
  }

 private:
  ModelConfig c_;
  size_t index_;
  Activation act_;
  nn::LayerNorm inputNorm_{nullptr}, postNorm_{nullptr};
  AdaptableLinear qkv_{nullptr}, dense_{nullptr}, up_{nullptr}, down_{nullptr};
};

class BloomForCausalLM : public CausalLM {
 public:
  explicit BloomForCausalLM(const ModelConfig& config) : CausalLM(config) {
    const auto& c = config_;
    auto transformer = register_module("transformer", std::make_shared<nn::Module>());
    wordEmbeddings_ = transformer->register_module("word_embeddings", nn::Embedding(c.vocabSize, c.hiddenSize));
    embNorm_ = transformer->register_module("word_embeddings_layernorm", nn::LayerNorm(nn::LayerNormOptions({c.hiddenSize}).eps(c.normEps)));
    layers_ = transformer->register_module("h", nn::ModuleList());
    for (int64_t i = 0; i < c.numLayers; ++i) layers_->push_back(std::make_shared<BloomBlock>(config_, i));
    finalNorm_ = transformer->register_module("ln_f", nn::LayerNorm(nn::LayerNormOptions({c.hiddenSize}).eps(c.normEps)));
    if (!c.tieWordEmbeddings) lmHead_ = register_module("lm_head", adaptableLinear(c.hiddenSize, c.vocabSize, false));
    register_buffer("alibi_slopes", alibiSlopes(c.numHeads));
  }

  torch::Tensor forward(const torch::Tensor& inputIds, const torch::Tensor& attentionMask, KVCache* cache,
                        const torch::Tensor& positionIds) override {
    const int64_t past = cache ? cache->length() : 0;
    const auto mask = fullAttentionMask(attentionMask, inputIds, past);
    auto h = embNorm_(wordEmbeddings_(inputIds));
    // ALiBi: bias = slope_h * (number of real tokens before key s), padding keys -> 0 (masked anyway).
    auto m = mask.to(torch::kFloat32);
    auto keyPos = ((torch::cumsum(m, -1) - 1) * m).unsqueeze(1);                             // [B, 1, S]
    auto slopes = named_buffers()["alibi_slopes"].to(h.device()).view({1, -1, 1});          // [1, H, 1]
    auto alibi = (slopes * keyPos).unsqueeze(2).to(h.scalar_type());                          // [B, H, 1, S]
    const AttentionBias bias{alibi + causalAttentionBias(mask, inputIds.size(1), past, h.scalar_type())};  // ALiBi: never causal-only
    for (const auto& layer : *layers_) {
      auto* l = layer->as<BloomBlock>();
      h = runBlock(*l, [l, bias, cache](const torch::Tensor& x) { return l->forward(x, bias, cache); }, h, cache);
    }
    h = finalNorm_(h);
    return lmHead_ ? lmHead_(h) : torch::matmul(h, wordEmbeddings_->weight.t());
  }

  torch::Tensor inputEmbeddingWeight() override { return wordEmbeddings_->weight; }

 private:
  nn::Embedding wordEmbeddings_{nullptr};
  nn::LayerNorm embNorm_{nullptr}, finalNorm_{nullptr};
  AdaptableLinear lmHead_{nullptr};
  nn::ModuleList layers_{nullptr};
};

}  // namespace

std::shared_ptr<CausalLM> createBloom(const ModelConfig& config) { return std::make_shared<BloomForCausalLM>(config); }

}  // namespace gt
