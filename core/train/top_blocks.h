// The two "train only the top" baselines, as chain-order masks:
// - FT-Top2, the paper's naive baseline ("only fine-tunes the last two layers, typically the
//   embedding layer and a LayerNorm"): the final norm and the output embedding (lm_head, or the
//   token embedding it is tied to -- selecting a tied embedding means a full backward pass).
// - top blocks ("freeze tuning" elsewhere): the last K decoder blocks and the final norm.
#pragma once
#include <vector>

#include "core/green/flops_profiler.h"

namespace gt {

// The chain-order mask selecting every tensor of decoder blocks numLayers-blocks .. numLayers-1
// (names containing ".layers.N." or ".h.N.") and of the final norm (model.norm,
// model.decoder.final_layer_norm, transformer.ln_f). Throws gt::Error if blocks is out of range.
std::vector<bool> topBlocksMask(const FlopsProfile& profile, int64_t numLayers, int64_t blocks = 2);

// FT-Top2: the output embedding (lm_head.weight, or when tied the token embedding, last in the
// chain) and every tensor of the normalisation nearest the output (the first chain tensor whose
// module is a norm: model.norm, final_layer_norm, ln_f, ...). Throws gt::Error if either is missing.
std::vector<bool> ftTop2Mask(const FlopsProfile& profile, bool tiedEmbeddings);

}  // namespace gt
