#include "core/train/top_blocks.h"

#include <regex>

#include "core/util/error.h"

namespace gt {

std::vector<bool> topBlocksMask(const FlopsProfile& profile, int64_t numLayers, int64_t blocks) {
  check(blocks >= 1 && blocks <= numLayers, "top blocks: expected 1.." + std::to_string(numLayers) + " blocks, got " + std::to_string(blocks));
  static const std::regex layerIndex(R"(\.(?:layers|h)\.(\d+)\.)");
  std::vector<bool> mask(profile.tensors.size(), false);
  for (size_t i = 0; i < profile.tensors.size(); ++i) {
    const std::string& name = profile.tensors[i].name;
    std::smatch m;
    if (std::regex_search(name, m, layerIndex)) {
      mask[i] = std::stoll(m[1].str()) >= numLayers - blocks;
      continue;
    }
    for (const char* norm : {"model.norm.", "model.decoder.final_layer_norm.", "transformer.ln_f."})
      if (name.rfind(norm, 0) == 0) mask[i] = true;
  }
  return mask;
}

}  // namespace gt
