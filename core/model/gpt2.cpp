#include "core/model/gpt2.h"

#include <torch/nn.h>

#include "core/model/activations.h"
#include "core/model/attention.h"
#include "core/model/dropout.h"

namespace gt {
namespace {

namespace nn = torch::nn;

// GPT-2's Conv1D is a linear layer with its weight transposed: y = x W + b, W [in, out].
class Conv1D : public nn::Module {
 public:
  Conv1D(int64_t in, int64_t out) {
    weight = register_parameter("weight", torch::empty({in, out}));
    bias = register_parameter("bias", torch::zeros({out}));
    nn::init::normal_(weight, 0.0, 0.02);
  }
  torch::Tensor forward(const torch::Tensor& x) { return torch::matmul(x, weight) + bias; }
  torch::Tensor weight, bias;
};

class Gpt2Block : public nn::Module {
 public:
  Gpt2Block(const ModelConfig& c, int64_t index) : c_(c), index_(index), act_(activationByName(c.activation)) {
    const auto ln = nn::LayerNormOptions({c.hiddenSize}).eps(c.normEps);
    ln1_ = register_module("ln_1", nn::LayerNorm(ln));
    auto attn = register_module("attn", std::make_shared<nn::Module>());
    cAttn_ = attn->register_module("c_attn", std::make_shared<Conv1D>(c.hiddenSize, 3 * c.hiddenSize));
    cProj_ = attn->register_module("c_proj", std::make_shared<Conv1D>(c.hiddenSize, c.hiddenSize));
    ln2_ = register_module("ln_2", nn::LayerNorm(ln));
    auto mlp = register_module("mlp", std::make_shared<nn::Module>());
    cFc_ = mlp->register_module("c_fc", std::make_shared<Conv1D>(c.hiddenSize, c.ffnDim));
    mlpProj_ = mlp->register_module("c_proj", std::make_shared<Conv1D>(c.ffnDim, c.hiddenSize));
  }

  torch::Tensor forward(const torch::Tensor& h, const AttentionBias& bias, KVCache* cache) {
    auto qkv = cAttn_->forward(ln1_(h)).split(c_.hiddenSize, 2);
    auto q = splitHeads(qkv[0], c_.numHeads, c_.headDim);
    auto k = splitHeads(qkv[1], c_.numHeads, c_.headDim);
    auto v = splitHeads(qkv[2], c_.numHeads, c_.headDim);
    if (cache) std::tie(k, v) = cache->append(index_, k, v);
    double scale = c_.scaleAttnWeights ? 1.0 / std::sqrt(double(c_.headDim)) : 1.0;
    if (c_.scaleAttnByInverseLayerIdx) scale /= double(index_ + 1);
    // Dropout (training only): attn_pdrop on the probabilities, resid_pdrop on each sub-layer's output.
    const bool training = is_training();
    auto x = h + dropoutInTraining(cProj_->forward(attention(q, k, v, bias, scale, training ? c_.attentionDropout : 0.0)), c_.hiddenDropout,
                                   training);
    return x + dropoutInTraining(mlpProj_->forward(act_(cFc_->forward(ln2_(x)))), c_.hiddenDropout, training);
  }

 private:
  ModelConfig c_;
  size_t index_;
  Activation act_;
  nn::LayerNorm ln1_{nullptr}, ln2_{nullptr};
  std::shared_ptr<Conv1D> cAttn_, cProj_, cFc_, mlpProj_;
};

class Gpt2LMHeadModel : public CausalLM {
 public:
  explicit Gpt2LMHeadModel(const ModelConfig& config) : CausalLM(config) {
    const auto& c = config_;
    auto transformer = register_module("transformer", std::make_shared<nn::Module>());
    wte_ = transformer->register_module("wte", nn::Embedding(c.vocabSize, c.hiddenSize));
    wpe_ = transformer->register_module("wpe", nn::Embedding(c.maxPositions, c.hiddenSize));
    layers_ = transformer->register_module("h", nn::ModuleList());
    for (int64_t i = 0; i < c.numLayers; ++i) layers_->push_back(std::make_shared<Gpt2Block>(config_, i));
    lnF_ = transformer->register_module("ln_f", nn::LayerNorm(nn::LayerNormOptions({c.hiddenSize}).eps(c.normEps)));
    if (!c.tieWordEmbeddings) lmHead_ = register_module("lm_head", nn::Linear(nn::LinearOptions(c.hiddenSize, c.vocabSize).bias(false)));
  }

  torch::Tensor forward(const torch::Tensor& inputIds, const torch::Tensor& attentionMask, KVCache* cache,
                        const torch::Tensor& positionIds) override {
    const int64_t past = cache ? cache->length() : 0;
    const auto mask = fullAttentionMask(attentionMask, inputIds, past);
    const auto positions = positionsOrDefault(positionIds, inputIds, past);
    auto h = dropoutInTraining(wte_(inputIds) + wpe_(positions), config_.embeddingDropout, is_training());  // embd_pdrop
    const auto bias = decoderAttentionBias(attentionMask, mask, inputIds.size(1), past, h.scalar_type());
    for (const auto& layer : *layers_) {
      auto* l = layer->as<Gpt2Block>();
      h = runBlock(*l, [l, bias, cache](const torch::Tensor& x) { return l->forward(x, bias, cache); }, h, cache);
    }
    h = lnF_(h);
    return lmHead_ ? lmHead_(h) : torch::matmul(h, wte_->weight.t());
  }

  torch::Tensor inputEmbeddingWeight() override { return wte_->weight; }

 private:
  nn::Embedding wte_{nullptr}, wpe_{nullptr};
  nn::LayerNorm lnF_{nullptr};
  nn::Linear lmHead_{nullptr};
  nn::ModuleList layers_{nullptr};
};

}  // namespace

std::shared_ptr<CausalLM> createGpt2(const ModelConfig& config) { return std::make_shared<Gpt2LMHeadModel>(config); }

}  // namespace gt
