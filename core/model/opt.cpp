#include "core/model/opt.h"

#include <torch/nn.h>

#include "core/model/activations.h"
#include "core/model/adaptable_linear.h"
#include "core/model/attention.h"
#include "core/model/dropout.h"

namespace gt {
namespace {

namespace nn = torch::nn;

// OPT's learned positional embedding is offset by 2 (rows 0 and 1 are never used by real tokens).
constexpr int64_t kOptPositionOffset = 2;


class OptDecoderLayer : public nn::Module {
 public:
  OptDecoderLayer(const ModelConfig& c, int64_t index) : c_(c), index_(index), act_(activationByName(c.activation)) {
    const auto ln = nn::LayerNormOptions({c.hiddenSize}).elementwise_affine(c.layerNormElementwiseAffine);
    auto attn = register_module("self_attn", std::make_shared<nn::Module>());
    q_ = attn->register_module("q_proj", adaptableLinear(c.hiddenSize, c.hiddenSize, c.enableBias));
    k_ = attn->register_module("k_proj", adaptableLinear(c.hiddenSize, c.hiddenSize, c.enableBias));
    v_ = attn->register_module("v_proj", adaptableLinear(c.hiddenSize, c.hiddenSize, c.enableBias));
    out_ = attn->register_module("out_proj", adaptableLinear(c.hiddenSize, c.hiddenSize, c.enableBias));
    attnNorm_ = register_module("self_attn_layer_norm", nn::LayerNorm(ln));
    fc1_ = register_module("fc1", adaptableLinear(c.hiddenSize, c.ffnDim, c.enableBias));
    fc2_ = register_module("fc2", adaptableLinear(c.ffnDim, c.hiddenSize, c.enableBias));
    ffnNorm_ = register_module("final_layer_norm", nn::LayerNorm(ln));
  }

  torch::Tensor forward(torch::Tensor h, const AttentionBias& bias, KVCache* cache) {
    const bool pre = c_.doLayerNormBefore;
    auto residual = h;
    if (pre) h = attnNorm_(h);
    auto q = splitHeads(q_(h), c_.numHeads, c_.headDim);
    auto k = splitHeads(k_(h), c_.numHeads, c_.headDim);
    auto v = splitHeads(v_(h), c_.numHeads, c_.headDim);
    if (cache) std::tie(k, v) = cache->append(index_, k, v);
    // Dropout (training only) on the attention probabilities and on each sub-layer's output, before its residual add.
    const bool training = is_training();
    h = residual + dropoutInTraining(out_(attention(q, k, v, bias, 1.0 / std::sqrt(double(c_.headDim)), training ? c_.attentionDropout : 0.0)),
                                     c_.hiddenDropout, training);
    if (!pre) h = attnNorm_(h);

    residual = h;
    if (pre) h = ffnNorm_(h);
    h = residual + dropoutInTraining(fc2_(act_(fc1_(h))), c_.hiddenDropout, training);
    if (!pre) h = ffnNorm_(h);
    return h;
  }

 private:
  ModelConfig c_;
  size_t index_;
  Activation act_;
  AdaptableLinear q_{nullptr}, k_{nullptr}, v_{nullptr}, out_{nullptr}, fc1_{nullptr}, fc2_{nullptr};
  nn::LayerNorm attnNorm_{nullptr}, ffnNorm_{nullptr};
};

class OptForCausalLM : public CausalLM {
 public:
  explicit OptForCausalLM(const ModelConfig& config) : CausalLM(config) {
    const auto& c = config_;
    auto model = register_module("model", std::make_shared<nn::Module>());
    auto decoder = model->register_module("decoder", std::make_shared<nn::Module>());
    embedTokens_ = decoder->register_module("embed_tokens", nn::Embedding(c.vocabSize, c.wordEmbedProjDim));
    embedPositions_ = decoder->register_module("embed_positions", nn::Embedding(c.maxPositions + kOptPositionOffset, c.hiddenSize));
    if (c.wordEmbedProjDim != c.hiddenSize) {
      projectOut_ = decoder->register_module("project_out", adaptableLinear(c.hiddenSize, c.wordEmbedProjDim, false));
      projectIn_ = decoder->register_module("project_in", adaptableLinear(c.wordEmbedProjDim, c.hiddenSize, false));
    }
    if (c.doLayerNormBefore && !c.removeFinalLayerNorm)
      finalNorm_ = decoder->register_module(
          "final_layer_norm", nn::LayerNorm(nn::LayerNormOptions({c.hiddenSize}).elementwise_affine(c.layerNormElementwiseAffine)));
    layers_ = decoder->register_module("layers", nn::ModuleList());
    for (int64_t i = 0; i < c.numLayers; ++i) layers_->push_back(std::make_shared<OptDecoderLayer>(config_, i));
    if (!c.tieWordEmbeddings) lmHead_ = register_module("lm_head", adaptableLinear(c.wordEmbedProjDim, c.vocabSize, false));
  }

  torch::Tensor forward(const torch::Tensor& inputIds, const torch::Tensor& attentionMask, KVCache* cache,
                        const torch::Tensor& positionIds) override {
    const int64_t past = cache ? cache->length() : 0;
    const auto mask = fullAttentionMask(attentionMask, inputIds, past);
    torch::Tensor positions = positionIds;
    if (!positions.defined()) {
      // OPT numbers positions by counting real tokens: (cumsum(mask) * mask - 1), padding -> -1.
      auto m = mask.to(torch::kLong);
      positions = (torch::cumsum(m, 1) * m - 1).slice(1, past);
    }
    auto h = embedTokens_(inputIds);
    if (projectIn_) h = projectIn_(h);
    h = h + embedPositions_(positions + kOptPositionOffset);
    const auto bias = decoderAttentionBias(attentionMask, mask, inputIds.size(1), past, h.scalar_type());
    for (const auto& layer : *layers_) {
      auto* l = layer->as<OptDecoderLayer>();
      h = runBlock(*l, [l, bias, cache](const torch::Tensor& x) { return l->forward(x, bias, cache); }, h, cache);
    }
    if (finalNorm_) h = finalNorm_(h);
    if (projectOut_) h = projectOut_(h);
    return lmHead_ ? lmHead_(h) : torch::matmul(h, embedTokens_->weight.t());
  }

  torch::Tensor inputEmbeddingWeight() override { return embedTokens_->weight; }

 private:
  nn::Embedding embedTokens_{nullptr}, embedPositions_{nullptr};
  AdaptableLinear projectIn_{nullptr}, projectOut_{nullptr}, lmHead_{nullptr};
  nn::LayerNorm finalNorm_{nullptr};
  nn::ModuleList layers_{nullptr};
};

}  // namespace

std::shared_ptr<CausalLM> createOpt(const ModelConfig& config) { return std::make_shared<OptForCausalLM>(config); }

}  // namespace gt
