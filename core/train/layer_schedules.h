// Layer-wise schedules of two fine-tuning methods users meet in other tools, as chain-order masks
// for the same trainer and FLOPs accounting as GreenTrainer:
// - LISA (Pan et al. 2024, arXiv 2403.17919; Axolotl's lisa_n_layers / lisa_step_interval): every
//   K steps, N decoder layers sampled uniformly without replacement train, together with
//   everything outside the decoder layers (embeddings, final norm, head), which always trains.
// - BAdam (Luo et al. 2024, arXiv 2404.02827; LLaMA-Factory's badam_mode=layer): block coordinate
//   descent, one decoder layer at a time, switching every K steps in ascending, descending or
//   random order (random: a fresh permutation of the layers each pass); embeddings and head stay
//   frozen, and the optimizer state starts afresh for each block.
// Both are functions of (seed, round = step / K), so a resumed run reproduces them.
#pragma once
#include <cstdint>
#include <string>
#include <vector>

#include "core/green/flops_profiler.h"
#include "core/model/tensor_names.h"  // decoderLayerOf

namespace gt {

// LISA's active layers in `round` (sorted), and its mask. Throws gt::Error unless 1 <= layers <= numLayers.
std::vector<int64_t> lisaLayers(int64_t numLayers, int64_t layers, uint64_t seed, int64_t round);
std::vector<bool> lisaMask(const FlopsProfile& profile, int64_t numLayers, int64_t layers, uint64_t seed, int64_t round);

// BAdam's active layer in `round`, and its mask. order: ascending | descending | random.
int64_t badamLayer(int64_t numLayers, const std::string& order, uint64_t seed, int64_t round);
std::vector<bool> badamMask(const FlopsProfile& profile, int64_t numLayers, const std::string& order, uint64_t seed, int64_t round);

}  // namespace gt
