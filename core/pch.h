// Precompiled header for gt_core: the LibTorch headers dominate compile time.
#pragma once
#include <torch/nn.h>
#include <torch/optim.h>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>
#include <map>
#include <memory>
