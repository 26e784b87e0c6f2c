#include "core/train/layer_schedules.h"

#include <algorithm>
#include <numeric>
#include <random>

#include "core/util/error.h"

namespace gt {
namespace {

// A seeded permutation of 0..n-1 (Fisher-Yates with mt19937_64: the same on every platform).
std::vector<int64_t> permutation(int64_t n, uint64_t seed) {
  std::vector<int64_t> order(static_cast<size_t>(n));
  std::iota(order.begin(), order.end(), int64_t(0));
  std::mt19937_64 rng(seed);
  for (size_t i = order.size(); i > 1; --i) std::swap(order[i - 1], order[size_t(rng() % i)]);
  return order;
}

std::vector<bool> layersMask(const FlopsProfile& profile, const std::vector<int64_t>& layers, bool outsideLayers) {
  std::vector<bool> mask(profile.tensors.size(), false);
  for (size_t i = 0; i < mask.size(); ++i) {
    const int64_t layer = decoderLayerOf(profile.tensors[i].name);
    mask[i] = layer < 0 ? outsideLayers : std::find(layers.begin(), layers.end(), layer) != layers.end();
  }
  return mask;
}

}  // namespace

std::vector<int64_t> lisaLayers(int64_t numLayers, int64_t layers, uint64_t seed, int64_t round) {
  check(layers >= 1 && layers <= numLayers,
        "lisa_layers (--lisa-layers): expected 1.." + std::to_string(numLayers) + " layers, got " + std::to_string(layers));
  auto order = permutation(numLayers, seed * 1000003ull + uint64_t(round) * 7919ull + 17);
  order.resize(size_t(layers));
  std::sort(order.begin(), order.end());
  return order;
}

std::vector<bool> lisaMask(const FlopsProfile& profile, int64_t numLayers, int64_t layers, uint64_t seed, int64_t round) {
  return layersMask(profile, lisaLayers(numLayers, layers, seed, round), true);
}

int64_t badamLayer(int64_t numLayers, const std::string& order, uint64_t seed, int64_t round) {
  check(order == "ascending" || order == "descending" || order == "random",
        "badam_order (--badam-order): expected ascending, descending or random, got '" + order + "'");
  const int64_t position = round % numLayers;
  if (order == "ascending") return position;
  if (order == "descending") return numLayers - 1 - position;
  return permutation(numLayers, seed * 1000003ull + uint64_t(round / numLayers) * 7919ull + 29)[size_t(position)];
}

std::vector<bool> badamMask(const FlopsProfile& profile, int64_t numLayers, const std::string& order, uint64_t seed, int64_t round) {
  return layersMask(profile, {badamLayer(numLayers, order, seed, round)}, false);
}

}  // namespace gt
