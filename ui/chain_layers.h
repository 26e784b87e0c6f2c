// How the views group a FLOPs chain (output first) for display: one group per decoder layer
// ("layer 7"; an encoder-decoder's "decoder 1" ... "encoder output", "encoder 0"), plus the
// head/final norm above them and the embeddings below; and each tensor's
// dy, the reach increment paid to backpropagate below it (GREENTRAINER.md §2).
#pragma once
#include <QString>
#include <vector>

#include "core/report/run_record.h"

namespace gt::ui {

struct ChainGroup {
  QString label;   // "layer 7", "output", "embeddings"; T5: "decoder 1", "encoder output", "encoder 0"
  int layer = -1;  // decoder layer index, -1 for the others
  int first = 0, last = 0;  // chain positions [first, last]
};

// The decoder layer index in a parameter name ("model.layers.7.mlp...", "transformer.h.3..."), or -1.
int layerOfTensor(const std::string& name);
// The name without its layer prefix: "mlp.down_proj.weight", "self_attn.q_proj.bias", "model.norm.weight".
QString shortTensorName(const std::string& name);
std::vector<ChainGroup> chainGroups(const std::vector<ChainEntry>& tensors);
// dy_i = reach_{i+1} - reach_i (0 for the last tensor and inside a level of parallel branches).
std::vector<double> chainDy(const std::vector<ChainEntry>& tensors);
// One mask per selection (chain order), from the record's tensor names.
std::vector<std::vector<bool>> selectionMasks(const RunRecord& record);

}  // namespace gt::ui
