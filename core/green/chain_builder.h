// Building a FLOPs chain (GREENTRAINER.md §2), shared by the families' chains: ChainBuilder walks
// the backward pass from the loss, recording each tensor at the reach where its weight gradient
// becomes computable. Internal to core/green/ (flops_profiler.cpp, t5_flops_chain.cpp).
#pragma once
#include <array>
#include <string>
#include <vector>

#include "core/green/flops_profiler.h"

namespace gt {

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

inline double activationForward(const std::string& act) {
  if (act == "relu") return 1;
  if (act == "silu" || act == "swish") return 5;  // includes the gate multiply of SwiGLU
  return 8;                                       // GELU variants
}
inline double activationBackward(const std::string& act) {
  if (act == "relu") return 1;
  if (act == "silu" || act == "swish") return 7;
  return 10;
}

// Walks the backward pass from the loss: add() records a tensor at the current reach, pay()
// moves the reach past an op's input-gradient computation. forward() accumulates T_fp.
class ChainBuilder {
 public:
  ChainBuilder(int64_t batch, int64_t seq) : B(double(batch)), s(double(seq)), n(double(batch * seq)) {}

  // The sequence the next ops run over (an encoder-decoder's encoder and decoder differ).
  void setSeq(int64_t seq) {
    s = double(seq);
    n = B * s;
  }

  void forward(Flops f) { fwd_ += f; }
  void pay(Flops f) { reach_ += f; }
  void add(const std::string& name, Flops dw) { tensors_.push_back({name, dw, reach_, AttentionRole::None, {}, 0}); }
  void addAttentionInput(const std::string& name, Flops dw, AttentionRole role, const Flops& base, double unit) {
    tensors_.push_back({name, dw, reach_, role, base, unit});
  }
  Flops reach() const { return reach_; }
  size_t size() const { return tensors_.size(); }

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

  const double B;
  double s, n;

 private:
  Flops fwd_, reach_;
  std::vector<ChainTensor> tensors_;
};

// q, k, v projections (separate tensors): one chain level; going below pays all three dy.
inline void separateQkv(ChainBuilder& b, const std::string& prefix, const std::array<std::string, 3>& names, double d, double qOut, double kvOut,
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

// T5's chain (t5_flops_chain.cpp): `seq` encoder tokens and `decoderSeq` decoder tokens per example.
FlopsProfile t5Chain(const ModelConfig& c, int64_t batch, int64_t seq, int64_t decoderSeq);

}  // namespace gt
