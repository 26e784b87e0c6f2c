#include "core/model/llama.h"

#include <torch/nn.h>

#include "core/model/activations.h"
#include "core/model/adaptable_linear.h"
#include "core/model/attention.h"
#include "core/model/dropout.h"
#include "core/model/rms_norm.h"

namespace gt {
namespace {

namespace nn = torch::nn;


torch::Tensor rotateHalf(const torch::Tensor& x) {
  const int64_t half = x.size(-1) / 2;
  return torch::cat({-x.slice(-1, half), x.slice(-1, 0, half)}, -1);
}

class LlamaDecoderLayer : public nn::Module {
 public:
  LlamaDecoderLayer(const ModelConfig& c, int64_t index) : c_(c), index_(index), act_(activationByName(c.activation)) {
    inputNorm_ = register_module("input_layernorm", std::make_shared<RmsNorm>(c.hiddenSize, c.normEps));
    auto attn = register_module("self_attn", std::make_shared<nn::Module>());
    q_ = attn->register_module("q_proj", adaptableLinear(c.hiddenSize, c.numHeads * c.headDim, c.attentionBias));
    k_ = attn->register_module("k_proj", adaptableLinear(c.hiddenSize, c.numKvHeads * c.headDim, c.attentionBias));
    v_ = attn->register_module("v_proj", adaptableLinear(c.hiddenSize, c.numKvHeads * c.headDim, c.attentionBias));
    o_ = attn->register_module("o_proj", adaptableLinear(c.numHeads * c.headDim, c.hiddenSize, c.outputProjBias));
    postNorm_ = register_module("post_attention_layernorm", std::make_shared<RmsNorm>(c.hiddenSize, c.normEps));
    auto mlp = register_module("mlp", std::make_shared<nn::Module>());
    gate_ = mlp->register_module("gate_proj", adaptableLinear(c.hiddenSize, c.ffnDim, c.mlpBias));
    up_ = mlp->register_module("up_proj", adaptableLinear(c.hiddenSize, c.ffnDim, c.mlpBias));
    down_ = mlp->register_module("down_proj", adaptableLinear(c.ffnDim, c.hiddenSize, c.mlpBias));
  }

  torch::Tensor forward(const torch::Tensor& h, const AttentionBias& bias, const torch::Tensor& cos, const torch::Tensor& sin,
                        KVCache* cache) {
    auto x = inputNorm_->forward(h);
    auto q = splitHeads(q_(x), c_.numHeads, c_.headDim);
    auto k = splitHeads(k_(x), c_.numKvHeads, c_.headDim);
    auto v = splitHeads(v_(x), c_.numKvHeads, c_.headDim);
    q = q * cos + rotateHalf(q) * sin;
    k = k * cos + rotateHalf(k) * sin;
    if (cache) std::tie(k, v) = cache->append(index_, k, v);
    // attention_dropout (training only) on the probabilities: Llama has no other dropout.
    auto out = h + o_(attention(q, k, v, bias, 1.0 / std::sqrt(double(c_.headDim)), is_training() ? c_.attentionDropout : 0.0));
    x = postNorm_->forward(out);
    return out + down_(act_(gate_(x)) * up_(x));
  }

 private:
  ModelConfig c_;
  size_t index_;
  Activation act_;
  std::shared_ptr<RmsNorm> inputNorm_, postNorm_;
  AdaptableLinear q_{nullptr}, k_{nullptr}, v_{nullptr}, o_{nullptr}, gate_{nullptr}, up_{nullptr}, down_{nullptr};
};

class LlamaForCausalLM : public CausalLM {
 public:
  explicit LlamaForCausalLM(const ModelConfig& config) : CausalLM(config) {
    const auto& c = config_;
    auto model = register_module("model", std::make_shared<nn::Module>());
    embedTokens_ = model->register_module("embed_tokens", nn::Embedding(c.vocabSize, c.hiddenSize));
    layers_ = model->register_module("layers", nn::ModuleList());
    for (int64_t i = 0; i < c.numLayers; ++i) layers_->push_back(std::make_shared<LlamaDecoderLayer>(config_, i));
    norm_ = model->register_module("norm", std::make_shared<RmsNorm>(c.hiddenSize, c.normEps));
    if (!c.tieWordEmbeddings) lmHead_ = register_module("lm_head", adaptableLinear(c.hiddenSize, c.vocabSize, false));
  }

  torch::Tensor forward(const torch::Tensor& inputIds, const torch::Tensor& attentionMask, KVCache* cache,
                        const torch::Tensor& positionIds) override {
    const int64_t past = cache ? cache->length() : 0;
    const auto mask = fullAttentionMask(attentionMask, inputIds, past);
    const auto positions = positionsOrDefault(positionIds, inputIds, past);
    auto h = embedTokens_(inputIds);
    // Rotary embedding: angle(p, i) = p / theta^(2i / d), cos/sin duplicated over both halves.
    const auto f32 = torch::TensorOptions().dtype(torch::kFloat32).device(h.device());
    auto invFreq = 1.0 / torch::pow(config_.ropeTheta, torch::arange(0, config_.headDim, 2, f32) / double(config_.headDim));
    auto freqs = positions.to(torch::kFloat32).unsqueeze(-1) * invFreq;  // [B, T, D/2]
    auto emb = torch::cat({freqs, freqs}, -1);
    auto cos = emb.cos().to(h.scalar_type()).unsqueeze(1);  // [B, 1, T, D]
    auto sin = emb.sin().to(h.scalar_type()).unsqueeze(1);
    const auto bias = decoderAttentionBias(attentionMask, mask, inputIds.size(1), past, h.scalar_type());
    for (const auto& layer : *layers_) {
      auto* l = layer->as<LlamaDecoderLayer>();
      h = runBlock(*l, [l, bias, cos, sin, cache](const torch::Tensor& x) { return l->forward(x, bias, cos, sin, cache); }, h, cache);
    }
    h = norm_->forward(h);
    return lmHead_ ? lmHead_(h) : torch::matmul(h, embedTokens_->weight.t());
  }

  torch::Tensor inputEmbeddingWeight() override { return embedTokens_->weight; }

 private:
  nn::Embedding embedTokens_{nullptr};
  std::shared_ptr<RmsNorm> norm_;
  AdaptableLinear lmHead_{nullptr};
  nn::ModuleList layers_{nullptr};
};

}  // namespace

std::shared_ptr<CausalLM> createLlama(const ModelConfig& config) { return std::make_shared<LlamaForCausalLM>(config); }

}  // namespace gt
