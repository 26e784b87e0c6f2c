// The dtype names every option and config uses ("float32", "bfloat16", "float16"), validated by
// whoever reads them (RunConfig::validate, the CLI's common options).
#pragma once
#include <c10/core/ScalarType.h>

#include <string>

namespace gt {

inline c10::ScalarType dtypeFromName(const std::string& name) {
  return name == "bfloat16" ? c10::kBFloat16 : name == "float16" ? c10::kHalf : c10::kFloat;
}

}  // namespace gt
