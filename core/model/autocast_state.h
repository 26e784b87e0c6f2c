// LibTorch's autocast switches for one device type, behind one interface for LibTorch 1.13 (per-device
// functions) and 2.4+ (functions taking the device type). Used to enter mixed-precision regions
// (train/mixed_precision.h) and to replay a forward's autocast state when activation checkpointing
// recomputes it in the backward pass.
#pragma once
#include <torch/types.h>

namespace gt {

struct AutocastState {
  bool enabled = false;
  torch::ScalarType dtype = torch::kBFloat16;
};

AutocastState autocastState(bool cuda);
void setAutocastState(bool cuda, const AutocastState& state);

}  // namespace gt
