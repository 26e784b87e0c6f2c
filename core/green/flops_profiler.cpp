#include "core/green/flops_profiler.h"

#include "core/green/chain_builder.h"

#include <algorithm>
#include <array>
#include <functional>

#include "core/model/tensor_names.h"
#include "core/util/error.h"

namespace gt {
namespace {

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


FlopsProfile familyChain(const ModelConfig& config, int64_t batch, int64_t seq, int64_t decoderSeq) {
  if (config.isEncoderDecoder()) return t5Chain(config, batch, seq, decoderSeq);
  if (config.modelType == "opt") return optChain(config, batch, seq);
  if (config.modelType == "bloom") return bloomChain(config, batch, seq);
  if (config.modelType == "gpt2") return gpt2Chain(config, batch, seq);
  if (config.modelType == "llama" || config.modelType == "qwen2") return llamaChain(config, batch, seq);
  throw Error("profile: unsupported model_type '" + config.modelType + "'");
}


}  // namespace

FlopsProfile profileFlops(const ModelConfig& config, int64_t batch, int64_t seq, bool recompute, int64_t decoderSeq) {
  check(batch > 0 && seq > 0, "profile: batch and seq must be positive, got " + std::to_string(batch) + " x " + std::to_string(seq));
  check(config.isEncoderDecoder() == (decoderSeq > 0),
        config.isEncoderDecoder() ? "profile: an encoder-decoder needs the decoder's length (target tokens per example), got " +
                                        std::to_string(decoderSeq)
                                  : "profile: a decoder length applies to encoder-decoders only; model_type '" + config.modelType + "' has one sequence");
  check(!(recompute && config.isEncoderDecoder()), "profile: activation checkpointing is not supported for encoder-decoders");
  FlopsProfile p = familyChain(config, batch, seq, decoderSeq);
  if (!recompute || config.numLayers < 1) return p;
  // Activation checkpointing runs a block's forward again when the backward pass reaches it. Blocks
  // are alike, so one block's forward is T_fp(L layers) - T_fp(L - 1 layers). Reaching a tensor of
  // block k passes blocks L-1 .. k; the embeddings below every block, all L; the head above, none.
  ModelConfig fewer = config;
  fewer.numLayers = config.numLayers - 1;
  const Flops blockForward = p.forward - familyChain(fewer, batch, seq, 0).forward;
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
  return total + levelReach(mask, deepest) - encoderDecoderSavings(mask, deepest);
}

Flops FlopsProfile::levelReach(const std::vector<bool>& mask, int i) const {
  const ChainTensor& last = tensors[size_t(i)];
  if (last.role == AttentionRole::None) return last.reach;
  // An input of the attention core: only the products its level's selected inputs need run
  // (dV = P^T dO; dP = dO V^T for q, k and a score bias; dQ = dS K; dK = dS^T Q).
  bool q = false, k = false, v = false, scores = false;
  for (size_t j = 0; j < tensors.size(); ++j) {
    if (!mask[j] || tensors[j].reach.total() != last.reach.total()) continue;
    q |= tensors[j].role == AttentionRole::Query;
    k |= tensors[j].role == AttentionRole::Key;
    v |= tensors[j].role == AttentionRole::Value;
    scores |= tensors[j].role == AttentionRole::Scores;
  }
  const double products = (v ? 1 : 0) + ((q || k || scores) ? 1 : 0) + (q ? 1 : 0) + (k ? 1 : 0);
  Flops attention = last.reach - last.reachBase;
  attention.matmul = products * last.attentionUnit;  // softmax backward (elementwise) kept as estimated
  return last.reachBase + attention;
}

Flops FlopsProfile::encoderDecoderSavings(const std::vector<bool>& mask, int deepest) const {
  const EncoderDecoderChain& ed = encoderDecoder;
  if (ed.encoderFrom < 0) return {};
  const bool encoder = deepest >= ed.encoderFrom;
  const bool shared = deepest == int(tensors.size()) - 1;  // the embedding needs the decoder's inputs too
  int deepestTail = -1;
  for (int i = ed.tailFrom; i < ed.tailTo; ++i)
    if (mask[size_t(i)]) deepestTail = i;
  const bool tailNeeded = shared || deepestTail >= 0;
  Flops saved;
  if (encoder && !shared) saved += ed.tailEnd - (deepestTail >= 0 ? levelReach(mask, deepestTail) : ed.tailStart);
  for (size_t b = 0; b < ed.cross.size(); ++b) {
    const auto& c = ed.cross[b];
    if (deepest <= std::max({c.q, c.k, c.v})) continue;  // not passed through (the deepest's own level is priced above)
    const bool lowest = b + 1 == ed.cross.size();
    const bool needQ = !(lowest && encoder && !tailNeeded) || mask[size_t(c.q)];
    const bool needK = encoder || mask[size_t(c.k)], needV = encoder || mask[size_t(c.v)];
    const double products = (needV ? 1 : 0) + ((needQ || needK) ? 1 : 0) + (needQ ? 1 : 0) + (needK ? 1 : 0);
    saved += Flops::mm((4 - products) * c.unit);
  }
  return saved;
}

int FlopsProfile::indexOf(const std::string& name) const {
  for (size_t i = 0; i < tensors.size(); ++i)
    if (tensors[i].name == name) return int(i);
  return -1;
}

}  // namespace gt
