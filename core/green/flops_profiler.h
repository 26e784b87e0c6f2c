// The tensor FLOPs profiler (GREENTRAINER.md §2): every trainable tensor in backward data-flow
// order, output first, with
//   dw    FLOPs of its weight gradient once the gradient at its op's output is known,
//   reach FLOPs of backpropagation from the loss down to where dw becomes computable,
// plus T_fp (forward) and T_full = T_fp + full backward, all per batch of (batch x seq) tokens
// (encoder-decoder: seq encoder tokens and decoderSeq decoder tokens per example).
// A selection m costs T_fp + sum_i m_i dw_i + max_{i: m_i} reach_i (paper Eq. 4).
#pragma once
#include <string>
#include <vector>

#include "core/green/flops.h"
#include "core/model/model_config.h"

namespace gt {

// Which input of the attention core a separate q/k/v projection feeds. Autograd computes only
// the attention-backward products that a selection needs, so when the deepest selected tensors
// are q/k/v projections the exact cost is below the level's (conservative) reach.
// Scores: a relative position bias added to the attention scores (T5), whose gradient needs the
// scores' gradient but neither q's nor k's.
enum class AttentionRole { None, Query, Key, Value, Scores };

struct ChainTensor {
  std::string name;
  Flops dw;
  Flops reach;
  AttentionRole role = AttentionRole::None;
  Flops reachBase;      // for q/k/v: reach before any attention-core backward
  double attentionUnit = 0;  // for q/k/v: one attention product, 2·B·s²·(heads·head_dim)
};

// An encoder-decoder's chain is a line with two branches folded into it (t5_flops_chain.cpp). The
// chain model (chainFlops, the selector) charges as if it were a line: conservative. stepFlops
// leaves out what autograd skips:
// - a cross-attention the backward pass goes through computes dK and dV only when the encoder's
//   gradient is needed (a selected tensor at or after encoderFrom) or its own k / v is selected;
// - the decoder's block 0 below its cross-attention (chain positions tailFrom .. tailTo, reach
//   tailStart .. tailEnd) is not on the way to the encoder: it runs only down to the deepest tensor
//   selected there (all of it for the shared embedding), and when none is, block 0's
//   cross-attention needs no dQ unless its q is selected.
struct EncoderDecoderChain {
  struct CrossAttention {
    int q = -1, k = -1, v = -1;  // chain positions of the projections
    double unit = 0;             // one attention product, 2·B·s_dec·s_enc·(heads·d_kv)
  };
  std::vector<CrossAttention> cross;  // decoder blocks, output first (block 0 last)
  int encoderFrom = -1;               // first chain position below the encoder output
  int tailFrom = -1, tailTo = -1;
  Flops tailStart, tailEnd;
};

struct FlopsProfile {
  int64_t batch = 0, seq = 0;
  int64_t decoderSeq = 0;   // encoder-decoder: the decoder's length (seq is the encoder's); 0 otherwise
  Flops forward;            // T_fp
  Flops full;               // T_full = T_fp + full backward
  std::vector<ChainTensor> tensors;  // output first; reach non-decreasing
  EncoderDecoderChain encoderDecoder;  // empty for decoder-only models

  // Exact FLOPs of a training step for a selection (mask in chain order).
  Flops stepFlops(const std::vector<bool>& mask) const;
  // The chain model's conservative cost (what the selector budgets): T_fp + sum dw + max reach.
  Flops chainFlops(const std::vector<bool>& mask) const;
  int indexOf(const std::string& name) const;  // -1 when absent

 private:
  // The backward cost down to tensor i's level when it is the deepest selected there: its reach,
  // with only the attention products the selected inputs of that level need.
  Flops levelReach(const std::vector<bool>& mask, int i) const;
  // What stepFlops leaves out of an encoder-decoder's chain cost for a mask whose deepest is `deepest`.
  Flops encoderDecoderSavings(const std::vector<bool>& mask, int deepest) const;
};

// Builds the chain for a model family at a batch shape. Throws gt::Error for bad shapes.
// recompute: activation checkpointing is on — reaching a tensor also pays the forward of every decoder
// block the backward pass goes through again (T_full pays all of them); decoder-only models.
// decoderSeq: an encoder-decoder's target length (required for one, refused for the others).
FlopsProfile profileFlops(const ModelConfig& config, int64_t batch, int64_t seq, bool recompute = false, int64_t decoderSeq = 0);

}  // namespace gt
