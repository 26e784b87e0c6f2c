#include "ui/chain_layers.h"

#include <regex>
#include <unordered_map>

#include "core/model/tensor_names.h"

namespace gt::ui {
namespace {

const std::regex& layerPattern() {
  static const std::regex pattern(R"((^|\.)(layers|h|layer|blocks)\.(\d+)\.)");
  return pattern;
}

}  // namespace

int layerOfTensor(const std::string& name) {
  if (const auto b = encoderDecoderBlockOf(name); b.index >= 0) return int(b.index);
  std::smatch m;
  return std::regex_search(name, m, layerPattern()) ? std::stoi(m[3].str()) : -1;
}

QString shortTensorName(const std::string& name) {
  if (const auto b = encoderDecoderBlockOf(name); b.index >= 0) {  // "decoder.block.1." + the rest
    const std::string prefix = b.stack + ".block." + std::to_string(b.index) + ".";
    return QString::fromStdString(name.substr(prefix.size()));
  }
  std::smatch m;
  if (!std::regex_search(name, m, layerPattern())) return QString::fromStdString(name);
  return QString::fromStdString(name.substr(size_t(m.position(0) + m.length(0))));
}

std::vector<ChainGroup> chainGroups(const std::vector<ChainEntry>& tensors) {
  std::vector<ChainGroup> groups;
  bool seenLayer = false;
  for (int i = 0; i < int(tensors.size()); ++i) {
    const std::string& name = tensors[size_t(i)].name;
    const int layer = layerOfTensor(name);
    seenLayer = seenLayer || layer >= 0;
    const auto block = encoderDecoderBlockOf(name);
    QString label = layer >= 0 ? QString("layer %1").arg(layer) : seenLayer ? QString("embeddings") : QString("output");
    if (block.index >= 0) label = QString("%1 %2").arg(QString::fromStdString(block.stack)).arg(block.index);  // "decoder 1"
    else if (name.rfind("encoder.", 0) == 0) label = "encoder output";  // the encoder's final norm, above its blocks
    if (!groups.empty() && groups.back().label == label) {
      groups.back().last = i;
    } else {
      groups.push_back({label, layer, i, i});
    }
  }
  return groups;
}

std::vector<double> chainDy(const std::vector<ChainEntry>& tensors) {
  std::vector<double> dy(tensors.size(), 0.0);
  for (size_t i = 0; i + 1 < tensors.size(); ++i) dy[i] = tensors[i + 1].reach - tensors[i].reach;
  return dy;
}

std::vector<std::vector<bool>> selectionMasks(const RunRecord& record) {
  std::unordered_map<std::string, size_t> index;
  for (size_t i = 0; i < record.tensors.size(); ++i) index[record.tensors[i].name] = i;
  std::vector<std::vector<bool>> masks;
  for (const auto& s : record.selections) {
    std::vector<bool> mask(record.tensors.size(), false);
    for (const auto& name : s.selected)
      if (auto it = index.find(name); it != index.end()) mask[it->second] = true;
    masks.push_back(std::move(mask));
  }
  return masks;
}

}  // namespace gt::ui
