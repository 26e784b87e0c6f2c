// The tensor FLOPs profiler (GREENTRAINER.md §2): every trainable tensor in backward data-flow
// order, output first, with
//   dw    FLOPs of its weight gradient once the gradient at its op's output is known,
//   reach FLOPs of backpropagation from the loss down to where dw becomes computable,
// plus T_fp (forward) and T_full = T_fp + full backward, all per batch of (batch x seq) tokens.
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
enum class AttentionRole { None, Query, Key, Value };

struct ChainTensor {
  std::string name;
  Flops dw;
  Flops reach;
  AttentionRole role = AttentionRole::None;
  Flops reachBase;      // for q/k/v: reach before any attention-core backward
  double attentionUnit = 0;  // for q/k/v: one attention product, 2·B·s²·(heads·head_dim)
};

struct FlopsProfile {
  int64_t batch = 0, seq = 0;
  Flops forward;            // T_fp
  Flops full;               // T_full = T_fp + full backward
  std::vector<ChainTensor> tensors;  // output first; reach non-decreasing

  // Exact FLOPs of a training step for a selection (mask in chain order).
  Flops stepFlops(const std::vector<bool>& mask) const;
  // The chain model's conservative cost (what the selector budgets): T_fp + sum dw + max reach.
  Flops chainFlops(const std::vector<bool>& mask) const;
  int indexOf(const std::string& name) const;  // -1 when absent
};

// Builds the chain for a model family at a batch shape. Throws gt::Error for bad shapes.
// recompute: activation checkpointing is on — reaching a tensor also pays the forward of every decoder
// block the backward pass goes through again (T_full pays all of them).
FlopsProfile profileFlops(const ModelConfig& config, int64_t batch, int64_t seq, bool recompute = false);

}  // namespace gt
