#include "core/green/flops_profiler.h"

#include <algorithm>
#include <array>
#include <functional>

#include "core/model/tensor_names.h"
#include "core/util/error.h"

namespace gt {
namespace {

// Elementwise cost estimates in FLOPs per element. They are not measured (the profiler check
// compares matmul FLOPs only) and are reported separately from the matmul part.
constexpr double kNormForward = 7;        // mean, variance, normalise, scale, shift
constexpr double kNormBackward = 8;       // input gradient of LayerNorm / RMSNorm
constexpr double kParamReduce = 1;        // bias or norm-scale gradient: one add per element
constexpr double kResidualAdd = 1;        // residual stream additions
constexpr double kSoftmaxForward = 5;     // per attention score
constexpr double kSoftmaxBackward = 4;    // per attention score
constexpr double kCrossEntropyForward = 5;   // per logit
constexpr double kCrossEntropyBackward = 2;  // per logit

double activationForward(const std::string& act) {
  if (act == "relu") return 1;
  if (act == "silu" || act == "swish") return 5;  // includes the gate multiply of SwiGLU
  return 8;                                       // GELU variants
}
double activationBackward(const std::string& act) {
  if (act == "relu") return 1;
  if (act == "silu" || act == "swish") return 7;
  return 10;
}

// Walks the backward pass from the loss: add() records a tensor at the current reach, pay()
// moves the reach past an op's input-gradient computation. forward() accumulates T_fp.
class ChainBuilder {
 public:
  ChainBuilder(int64_t batch, int64_t seq) : B(double(batch)), s(double(seq)), n(double(batch * seq)) {}

  void forward(Flops f) { fwd_ += f; }
  void pay(Flops f) { reach_ += f; }
  void add(const std::string& name, Flops dw) { tensors_.push_back({name, dw, reach_, AttentionRole::None, {}, 0}); }
  void addAttentionInput(const std::string& name, Flops dw, AttentionRole role, const Flops& base, double unit) {
    tensors_.push_back({name, dw, reach_, role, base, unit});
  }
  Flops reach() const { return reach_; }

  // A linear layer's forward cost and its weight/bias gradient tensors (bias first, as it is
  // computable from the same output gradient with less work).
  void linear(const std::string& prefix, double in, double out, bool bias) {
    forward(Flops::mm(2 * n * in * out) + Flops::ew(bias ? n * out : 0));
    if (bias) add(prefix + ".bias", Flops::ew(kParamReduce * n * out));
    add(prefix + ".weight", Flops::mm(2 * n * in * out));
  }
  Flops linearDy(double in, double out) const { return Flops::mm(2 * n * in * out); }

  void norm(const std::string& prefix, double d, bool weight, bool bias) {
    forward(Flops::ew(kNormForward * n * d));
    if (weight) add(prefix + ".weight", Flops::ew(kParamReduce * n * d));
    if (bias) add(prefix + ".bias", Flops::ew(kParamReduce * n * d));
  }
  Flops normDy(double d) const { return Flops::ew(kNormBackward * n * d); }

  // Attention core forward (QK^T and PV) for heads·head_dim = hd.
  double attentionUnit(double hd) const { return 2 * B * s * s * hd; }
  void attentionForward(double hd, double heads) {
    forward(Flops::mm(2 * attentionUnit(hd)) + Flops::ew(kSoftmaxForward * B * heads * s * s));
  }
  Flops attentionBackward(double hd, double heads) const {
    return Flops::mm(4 * attentionUnit(hd)) + Flops::ew(kSoftmaxBackward * B * heads * s * s);
  }

  void lossAndHead(const ModelConfig& c, double dIn, const std::string& headName) {
    const double V = double(c.vocabSize);
    forward(Flops::mm(2 * n * dIn * V) + Flops::ew(kCrossEntropyForward * n * V));
    pay(Flops::ew(kCrossEntropyBackward * n * V));
    if (!c.tieWordEmbeddings) add(headName, Flops::mm(2 * n * dIn * V));
    pay(linearDy(dIn, V));
  }
  // The token embedding: reach = whole backward pass; tied, it also computes lm_head's dw.
  void tokenEmbedding(const ModelConfig& c, const std::string& name, double dim) {
    Flops dw = Flops::ew(kParamReduce * n * dim);
    if (c.tieWordEmbeddings) dw += Flops::mm(2 * n * dim * double(c.vocabSize));
    add(name, dw);
  }

  FlopsProfile finish(int64_t batch, int64_t seq) {
    FlopsProfile p;
    p.batch = batch;
    p.seq = seq;
    p.forward = fwd_;
    Flops dwSum;
    for (const auto& t : tensors_) dwSum += t.dw;
    p.full = fwd_ + reach_ + dwSum;
    p.tensors = std::move(tensors_);
    return p;
  }

  const double B, s, n;

 private:
  Flops fwd_, reach_;
  std::vector<ChainTensor> tensors_;
};

// q, k, v projections (separate tensors): one chain level; going below pays all three dy.
void separateQkv(ChainBuilder& b, const std::string& prefix, const std::array<std::string, 3>& names, double d, double qOut, double kvOut,
                 bool bias, double hd, double heads, const Flops& base) {
  const double unit = b.attentionUnit(hd);
  const AttentionRole roles[3] = {AttentionRole::Query, AttentionRole::Key, AttentionRole::Value};
  const double outs[3] = {qOut, kvOut, kvOut};
  for (int i = 0; i < 3; ++i) {
    const std::string p = prefix + names[size_t(i)];
    b.forward(Flops::mm(2 * b.n * d * outs[i]) + Flops::ew(bias ? b.n * outs[i] : 0));
    if (bias) b.addAttentionInput(p + ".bias", Flops::ew(kParamReduce * b.n * outs[i]), roles[i], base, unit);
    b.addAttentionInput(p + ".weight", Flops::mm(2 * b.n * d * outs[i]), roles[i], base, unit);
  }
  b.pay(b.linearDy(d, qOut) + b.linearDy(d, kvOut) * 2);
}

FlopsProfile optChain(const ModelConfig& c, int64_t batch, int64_t seq) {
  ChainBuilder b(batch, seq);
  const double d = double(c.hiddenSize), f = double(c.ffnDim), dp = double(c.wordEmbedProjDim), H = double(c.numHeads);
  const double hd = double(c.numHeads * c.headDim);
  const bool projected = c.wordEmbedProjDim != c.hiddenSize;
  const bool affine = c.layerNormElementwiseAffine;
  const std::string dec = "model.decoder.";
  b.lossAndHead(c, dp, "lm_head.weight");
  if (projected) {
    b.linear(dec + "project_out", d, dp, false);
    b.pay(b.linearDy(d, dp));
  }
  if (c.doLayerNormBefore && !c.removeFinalLayerNorm) {
    b.norm(dec + "final_layer_norm", d, affine, affine);
    b.pay(b.normDy(d));
  }
  for (int64_t l = c.numLayers - 1; l >= 0; --l) {
    const std::string p = dec + "layers." + std::to_string(l) + ".";
    b.forward(Flops::ew(2 * kResidualAdd * b.n * d));
    auto ffn = [&] {
      b.linear(p + "fc2", f, d, c.enableBias);
      b.forward(Flops::ew(activationForward(c.activation) * b.n * f));
      b.pay(b.linearDy(f, d) + Flops::ew(activationBackward(c.activation) * b.n * f));
      b.linear(p + "fc1", d, f, c.enableBias);
      b.pay(b.linearDy(d, f));
    };
    auto attention = [&] {
      b.linear(p + "self_attn.out_proj", hd, d, c.enableBias);
      b.pay(b.linearDy(hd, d));
      const Flops base = b.reach();
      b.attentionForward(hd, H);
      b.pay(b.attentionBackward(hd, H));
      separateQkv(b, p + "self_attn.", {"q_proj", "k_proj", "v_proj"}, d, hd, hd, c.enableBias, hd, H, base);
    };
    if (c.doLayerNormBefore) {
      ffn();
      b.norm(p + "final_layer_norm", d, affine, affine);
      b.pay(b.normDy(d));
      attention();
      b.norm(p + "self_attn_layer_norm", d, affine, affine);
      b.pay(b.normDy(d));
    } else {  // post-LayerNorm (OPT-350M): each norm sits above the branch it follows
      b.norm(p + "final_layer_norm", d, affine, affine);
      b.pay(b.normDy(d));
      ffn();
      b.norm(p + "self_attn_layer_norm", d, affine, affine);
      b.pay(b.normDy(d));
      attention();
    }
  }
  b.add(dec + "embed_positions.weight", Flops::ew(kParamReduce * b.n * d));
  if (projected) {
    b.linear(dec + "project_in", dp, d, false);
    b.pay(b.linearDy(dp, d));
  }
  b.tokenEmbedding(c, dec + "embed_tokens.weight", dp);
  return b.finish(batch, seq);
}

// BLOOM and GPT-2 share one layout: pre-LN blocks with a fused q|k|v projection (one tensor, so
// its level always pays the whole attention backward), a 4x FFN and biases everywhere.
struct FusedQkvNames {
  std::string root, layers, mlpOut, mlpIn, postNorm, attnOut, qkv, inputNorm, finalNorm;
};

FlopsProfile fusedQkvChain(const ModelConfig& c, int64_t batch, int64_t seq, const FusedQkvNames& names,
                           const std::function<void(ChainBuilder&)>& embeddings) {
  ChainBuilder b(batch, seq);
  const double d = double(c.hiddenSize), f = double(c.ffnDim), H = double(c.numHeads);
  b.lossAndHead(c, d, "lm_head.weight");
  b.norm(names.root + names.finalNorm, d, true, true);
  b.pay(b.normDy(d));
  for (int64_t l = c.numLayers - 1; l >= 0; --l) {
    const std::string p = names.root + names.layers + std::to_string(l) + ".";
    b.forward(Flops::ew(2 * kResidualAdd * b.n * d));
    b.linear(p + names.mlpOut, f, d, true);
    b.forward(Flops::ew(activationForward(c.activation) * b.n * f));
    b.pay(b.linearDy(f, d) + Flops::ew(activationBackward(c.activation) * b.n * f));
    b.linear(p + names.mlpIn, d, f, true);
    b.pay(b.linearDy(d, f));
    b.norm(p + names.postNorm, d, true, true);
    b.pay(b.normDy(d));
    b.linear(p + names.attnOut, d, d, true);
    b.pay(b.linearDy(d, d));
    b.attentionForward(d, H);
    b.pay(b.attentionBackward(d, H));
    b.linear(p + names.qkv, d, 3 * d, true);
    b.pay(b.linearDy(d, 3 * d));
    b.norm(p + names.inputNorm, d, true, true);
    b.pay(b.normDy(d));
  }
  embeddings(b);
  return b.finish(batch, seq);
}

FlopsProfile bloomChain(const ModelConfig& c, int64_t batch, int64_t seq) {
  const FusedQkvNames names{"transformer.", "h.", "mlp.dense_4h_to_h", "mlp.dense_h_to_4h", "post_attention_layernorm",
                            "self_attention.dense", "self_attention.query_key_value", "input_layernorm", "ln_f"};
  return fusedQkvChain(c, batch, seq, names, [&](ChainBuilder& b) {
    const double d = double(c.hiddenSize);
    b.norm("transformer.word_embeddings_layernorm", d, true, true);
    b.pay(b.normDy(d));
    b.tokenEmbedding(c, "transformer.word_embeddings.weight", d);
  });
}

FlopsProfile gpt2Chain(const ModelConfig& c, int64_t batch, int64_t seq) {
  const FusedQkvNames names{"transformer.", "h.", "mlp.c_proj", "mlp.c_fc", "ln_2", "attn.c_proj", "attn.c_attn", "ln_1", "ln_f"};
  return fusedQkvChain(c, batch, seq, names, [&](ChainBuilder& b) {
    const double d = double(c.hiddenSize);
    b.add("transformer.wpe.weight", Flops::ew(kParamReduce * b.n * d));
    b.tokenEmbedding(c, "transformer.wte.weight", d);
  });
}

FlopsProfile llamaChain(const ModelConfig& c, int64_t batch, int64_t seq) {
  ChainBuilder b(batch, seq);
  const double d = double(c.hiddenSize), f = double(c.ffnDim), H = double(c.numHeads);
  const double qOut = double(c.numHeads * c.headDim), kvOut = double(c.numKvHeads * c.headDim);
  b.lossAndHead(c, d, "lm_head.weight");
  b.norm("model.norm", d, true, false);
  b.pay(b.normDy(d));
  for (int64_t l = c.numLayers - 1; l >= 0; --l) {
    const std::string p = "model.layers." + std::to_string(l) + ".";
    b.forward(Flops::ew(2 * kResidualAdd * b.n * d));
    b.linear(p + "mlp.down_proj", f, d, c.mlpBias);
    b.forward(Flops::ew(activationForward(c.activation) * b.n * f));
    b.pay(b.linearDy(f, d) + Flops::ew(activationBackward(c.activation) * b.n * f));
    // gate and up are parallel branches: one level, going below pays both dy.
    b.linear(p + "mlp.gate_proj", d, f, c.mlpBias);
    b.linear(p + "mlp.up_proj", d, f, c.mlpBias);
    b.pay(b.linearDy(d, f) * 2);
    b.norm(p + "post_attention_layernorm", d, true, false);
    b.pay(b.normDy(d));
    b.linear(p + "self_attn.o_proj", qOut, d, c.outputProjBias);
    b.pay(b.linearDy(qOut, d));
    const Flops base = b.reach();
    b.attentionForward(qOut, H);
    b.pay(b.attentionBackward(qOut, H));
    separateQkv(b, p + "self_attn.", {"q_proj", "k_proj", "v_proj"}, d, qOut, kvOut, c.attentionBias, qOut, H, base);
    b.norm(p + "input_layernorm", d, true, false);
    b.pay(b.normDy(d));
  }
  b.tokenEmbedding(c, "model.embed_tokens.weight", d);
  return b.finish(batch, seq);
}


FlopsProfile familyChain(const ModelConfig& config, int64_t batch, int64_t seq) {
  if (config.modelType == "opt") return optChain(config, batch, seq);
  if (config.modelType == "bloom") return bloomChain(config, batch, seq);
  if (config.modelType == "gpt2") return gpt2Chain(config, batch, seq);
  if (config.modelType == "llama" || config.modelType == "qwen2") return llamaChain(config, batch, seq);
  throw Error("profile: unsupported model_type '" + config.modelType + "'");
}


}  // namespace

FlopsProfile profileFlops(const ModelConfig& config, int64_t batch, int64_t seq, bool recompute) {
  check(batch > 0 && seq > 0, "profile: batch and seq must be positive, got " + std::to_string(batch) + " x " + std::to_string(seq));
  FlopsProfile p = familyChain(config, batch, seq);
  if (!recompute || config.numLayers < 1) return p;
  // Activation checkpointing runs a block's forward again when the backward pass reaches it. Blocks
  // are alike, so one block's forward is T_fp(L layers) - T_fp(L - 1 layers). Reaching a tensor of
  // block k passes blocks L-1 .. k; the embeddings below every block, all L; the head above, none.
  ModelConfig fewer = config;
  fewer.numLayers = config.numLayers - 1;
  const Flops blockForward = p.forward - familyChain(fewer, batch, seq).forward;
  bool belowBlocks = false;
  for (auto& t : p.tensors) {
    const int64_t k = decoderLayerOf(t.name);
    belowBlocks = belowBlocks || k >= 0;
    const int64_t passed = k >= 0 ? config.numLayers - k : belowBlocks ? config.numLayers : 0;
    t.reach += blockForward * double(passed);
    t.reachBase += blockForward * double(passed);
  }
  p.full += blockForward * double(config.numLayers);
  return p;
}

Flops FlopsProfile::chainFlops(const std::vector<bool>& mask) const {
  check(mask.size() == tensors.size(), "mask has " + std::to_string(mask.size()) + " entries, the chain has " + std::to_string(tensors.size()));
  Flops total = forward, deepest;
  for (size_t i = 0; i < tensors.size(); ++i) {
    if (!mask[i]) continue;
    total += tensors[i].dw;
    deepest = tensors[i].reach;  // reach is non-decreasing along the chain
  }
  return total + deepest;
}

Flops FlopsProfile::stepFlops(const std::vector<bool>& mask) const {
  check(mask.size() == tensors.size(), "mask has " + std::to_string(mask.size()) + " entries, the chain has " + std::to_string(tensors.size()));
  Flops total = forward;
  int deepest = -1;
  for (size_t i = 0; i < tensors.size(); ++i) {
    if (!mask[i]) continue;
    total += tensors[i].dw;
    deepest = int(i);
  }
  if (deepest < 0) return total;
  const ChainTensor& last = tensors[size_t(deepest)];
  if (last.role == AttentionRole::None) return total + last.reach;
  // The deepest selection is a q/k/v projection: only the attention products it needs run.
  bool q = false, k = false, v = false;
  for (size_t i = 0; i < tensors.size(); ++i) {
    if (!mask[i] || tensors[i].reach.total() != last.reach.total()) continue;
    q |= tensors[i].role == AttentionRole::Query;
    k |= tensors[i].role == AttentionRole::Key;
    v |= tensors[i].role == AttentionRole::Value;
  }
  const double products = (v ? 1 : 0) + ((q || k) ? 1 : 0) + (q ? 1 : 0) + (k ? 1 : 0);
  Flops attention = last.reach - last.reachBase;
  attention.matmul = products * last.attentionUnit;  // softmax backward (elementwise) kept as estimated
  return total + last.reachBase + attention;
}

int FlopsProfile::indexOf(const std::string& name) const {
  for (size_t i = 0; i < tensors.size(); ++i)
    if (tensors[i].name == name) return int(i);
  return -1;
}

}  // namespace gt
