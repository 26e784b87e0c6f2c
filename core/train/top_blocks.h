// FT-Top2 (the paper's baseline): only the last `blocks` decoder blocks and the final norm train.
#pragma once
#include <vector>

#include "core/green/flops_profiler.h"

namespace gt {

// The chain-order mask selecting every tensor of decoder blocks numLayers-blocks .. numLayers-1
// (names containing ".layers.N." or ".h.N.") and of the final norm (model.norm,
// model.decoder.final_layer_norm, transformer.ln_f). Throws gt::Error if blocks is out of range.
std::vector<bool> topBlocksMask(const FlopsProfile& profile, int64_t numLayers, int64_t blocks = 2);

}  // namespace gt
