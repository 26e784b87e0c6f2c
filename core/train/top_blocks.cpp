#include "core/train/top_blocks.h"

#include "core/model/tensor_names.h"
#include "core/util/error.h"

namespace gt {

std::vector<bool> topBlocksMask(const FlopsProfile& profile, int64_t numLayers, int64_t blocks) {
  check(blocks >= 1 && blocks <= numLayers, "top blocks: expected 1.." + std::to_string(numLayers) + " blocks, got " + std::to_string(blocks));
  std::vector<bool> mask(profile.tensors.size(), false);
  for (size_t i = 0; i < profile.tensors.size(); ++i) {
    const std::string& name = profile.tensors[i].name;
    if (const int64_t layer = decoderLayerOf(name); layer >= 0) {
      mask[i] = layer >= numLayers - blocks;
      continue;
    }
    for (const char* norm : {"model.norm.", "model.decoder.final_layer_norm.", "transformer.ln_f."})
      if (name.rfind(norm, 0) == 0) mask[i] = true;
  }
  return mask;
}

std::vector<bool> ftTop2Mask(const FlopsProfile& profile, bool tiedEmbeddings) {
  std::vector<bool> mask(profile.tensors.size(), false);
  check(!profile.tensors.empty(), "FT-Top2: the model has no tensors");
  // Output embedding: untied, lm_head.weight; tied, the token embedding (the chain's last tensor).
  const int output = tiedEmbeddings ? int(profile.tensors.size()) - 1 : profile.indexOf("lm_head.weight");
  check(output >= 0, "FT-Top2: the model has no lm_head.weight (expected an untied output projection)");
  mask[size_t(output)] = true;
  // The norm nearest the output: its module's tensors (weight, and bias where it has one).
  auto moduleOf = [](const std::string& name) { return name.substr(0, name.rfind('.')); };
  std::string norm;
  for (const auto& t : profile.tensors) {
    const std::string module = moduleOf(t.name), last = module.substr(module.rfind('.') + 1);
    if (last.find("norm") != std::string::npos || last.rfind("ln", 0) == 0) {
      norm = module;
      break;
    }
  }
  check(!norm.empty(), "FT-Top2: the model has no normalisation layer");
  for (size_t i = 0; i < profile.tensors.size(); ++i)
    if (moduleOf(profile.tensors[i].name) == norm) mask[i] = true;
  return mask;
}

}  // namespace gt
