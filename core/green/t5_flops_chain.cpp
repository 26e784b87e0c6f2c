// T5's FLOPs chain. The backward pass runs from the loss down the decoder; every decoder block's
// cross-attention k and v read the encoder output, so the encoder's gradient is complete only once
// the lowest decoder block's cross-attention is passed, and its tensors come after the decoder's:
//
//   loss -> logits                      head dy (nd tokens); lm_head when untied
//   decoder.final_layer_norm            dw; RMSNorm dy
//   decoder.block.L-1 .. 0:
//     layer.2 (FFN): wo; wi_0 + wi_1 (gated: one level) or wi; layer_norm
//     layer.1 (cross-attention): o; attention core (queries nd x keys ne); q (nd), k, v (ne tokens)
//       at one level; going down the decoder pays q's dy, the encoder later pays k's and v's; layer_norm
//     layer.0 (self-attention): o; attention core (nd x nd); q, k, v; block 0 also
//       relative_attention_bias (its gradient sums the score gradients of every block); layer_norm
//   encoder (reach adds every decoder block's cross k/v dy): final_layer_norm, blocks L-1 .. 0 as above
//     without cross-attention
//   shared (token embedding of both stacks; tied: also the head): the whole backward pass
//
// The decoder's block 0 below its cross-attention (q's dy, layer.1's norm, the self-attention) is not
// on the way to the encoder, and a cross-attention passed on the way down the decoder needs no dK or
// dV unless the encoder does: an encoder tensor's reach includes all of it (the chain is a line);
// FlopsProfile::encoderDecoder records where, so the exact step cost leaves out what autograd skips.
#include "core/green/chain_builder.h"

namespace gt {
namespace {

// Attention scores of the current sequence: batch x heads x s x s.
double scoreCount(const ChainBuilder& b, double heads) { return b.B * heads * b.s * b.s; }

// The FFN sub-layer: wo; wi_0 and wi_1 (gated) at one level, as SwiGLU's gate and up; its norm.
void feedForward(ChainBuilder& b, const ModelConfig& c, const std::string& p) {
  const double d = double(c.hiddenSize), f = double(c.ffnDim);
  const std::string ffn = p + "DenseReluDense.";
  b.linear(ffn + "wo", f, d, false);
  // Gated: act(wi_0 x) * wi_1 x; the multiply's forward and backward counted with the activation.
  b.forward(Flops::ew(activationForward(c.activation) * b.n * f));
  b.pay(b.linearDy(f, d) + Flops::ew(activationBackward(c.activation) * b.n * f));
  if (c.gatedFeedForward) {
    b.linear(ffn + "wi_0", d, f, false);
    b.linear(ffn + "wi_1", d, f, false);
    b.pay(b.linearDy(d, f) * 2);
  } else {
    b.linear(ffn + "wi", d, f, false);
    b.pay(b.linearDy(d, f));
  }
  b.norm(p + "layer_norm", d, true, false);
  b.pay(b.normDy(d));
}

// Self-attention of a block; the first block of a stack also holds the relative position bias.
void selfAttention(ChainBuilder& b, const ModelConfig& c, const std::string& p, bool relativeBias) {
  const double d = double(c.hiddenSize), H = double(c.numHeads), hd = double(c.numHeads * c.headDim);
  const std::string a = p + "SelfAttention.";
  b.linear(a + "o", hd, d, false);
  b.pay(b.linearDy(hd, d));
  const Flops base = b.reach();
  b.attentionForward(hd, H);
  b.forward(Flops::ew(scoreCount(b, H)));  // the bias added to the scores
  b.pay(b.attentionBackward(hd, H));
  if (relativeBias)  // scatter-add of the scores' gradient into [buckets, heads]
    b.addAttentionInput(a + "relative_attention_bias.weight", Flops::ew(kParamReduce * scoreCount(b, H)), AttentionRole::Scores, base,
                        b.attentionUnit(hd));
  separateQkv(b, a, {"q", "k", "v"}, d, hd, hd, false, hd, H, base);
  b.norm(p + "layer_norm", d, true, false);
  b.pay(b.normDy(d));
}

}  // namespace

FlopsProfile t5Chain(const ModelConfig& c, int64_t batch, int64_t seq, int64_t decoderSeq) {
  ChainBuilder b(batch, decoderSeq);
  const double d = double(c.hiddenSize), H = double(c.numHeads), hd = double(c.numHeads * c.headDim);
  const double ne = double(batch * seq), nd = double(batch * decoderSeq);
  b.lossAndHead(c, d, "lm_head.weight");
  if (c.scaleDecoderOutputs) b.forward(Flops::ew(nd * d));
  b.norm("decoder.final_layer_norm", d, true, false);
  b.pay(b.normDy(d));
  Flops encoderEntry;  // every cross-attention's k and v dy: the gradient at the encoder output
  EncoderDecoderChain layout;
  for (int64_t l = c.numDecoderLayers - 1; l >= 0; --l) {
    const std::string p = "decoder.block." + std::to_string(l) + ".layer.";
    b.forward(Flops::ew(3 * kResidualAdd * nd * d));
    feedForward(b, c, p + "2.");
    // Cross-attention: queries from the decoder (nd tokens), keys and values from the encoder (ne).
    const std::string a = p + "1.EncDecAttention.";
    b.linear(a + "o", hd, d, false);
    b.pay(b.linearDy(hd, d));
    const Flops base = b.reach();
    const double unit = 2 * double(batch) * double(decoderSeq) * double(seq) * hd;  // one product
    const double scores = double(batch) * H * double(decoderSeq) * double(seq);
    b.forward(Flops::mm(2 * unit) + Flops::ew(kSoftmaxForward * scores + scores));
    b.pay(Flops::mm(4 * unit) + Flops::ew(kSoftmaxBackward * scores));
    b.forward(Flops::mm(2 * nd * d * hd + 2 * 2 * ne * d * hd));
    layout.cross.push_back({int(b.size()), int(b.size()) + 1, int(b.size()) + 2, unit});
    b.addAttentionInput(a + "q.weight", Flops::mm(2 * nd * d * hd), AttentionRole::Query, base, unit);
    b.addAttentionInput(a + "k.weight", Flops::mm(2 * ne * d * hd), AttentionRole::Key, base, unit);
    b.addAttentionInput(a + "v.weight", Flops::mm(2 * ne * d * hd), AttentionRole::Value, base, unit);
    encoderEntry += Flops::mm(2 * 2 * ne * d * hd);
    if (l == 0) {  // what follows in this block is not on the way to the encoder
      layout.tailStart = b.reach();
      layout.tailFrom = int(b.size());
    }
    b.pay(Flops::mm(2 * nd * d * hd));  // q's dy, on down the decoder
    b.norm(p + "1.layer_norm", d, true, false);
    b.pay(b.normDy(d));
    selfAttention(b, c, p + "0.", l == 0);
  }
  layout.tailEnd = b.reach();
  layout.tailTo = int(b.size());

  b.setSeq(seq);
  layout.encoderFrom = int(b.size());
  b.pay(encoderEntry);
  b.norm("encoder.final_layer_norm", d, true, false);
  b.pay(b.normDy(d));
  for (int64_t l = c.numLayers - 1; l >= 0; --l) {
    const std::string p = "encoder.block." + std::to_string(l) + ".layer.";
    b.forward(Flops::ew(2 * kResidualAdd * ne * d));
    feedForward(b, c, p + "1.");
    selfAttention(b, c, p + "0.", l == 0);
  }
  // The shared embedding: both stacks' inputs (gathers) and, tied, the head.
  Flops dw = Flops::ew(kParamReduce * (ne + nd) * d);
  if (c.tieWordEmbeddings) dw += Flops::mm(2 * nd * d * double(c.vocabSize));
  b.add("shared.weight", dw);
  FlopsProfile profile = b.finish(batch, seq);
  profile.decoderSeq = decoderSeq;
  profile.encoderDecoder = layout;
  return profile;
}

}  // namespace gt
