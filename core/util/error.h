// gt::Error — the one exception type for bad input. Messages name the file or field and say
// what was expected, e.g. "model.safetensors: tensor 'lm_head.weight': ...".
#pragma once
#include <stdexcept>
#include <string>

namespace gt {

class Error : public std::runtime_error {
 public:
  explicit Error(const std::string& message) : std::runtime_error(message) {}
};

// Throws gt::Error(message) when condition is false.
void check(bool condition, const std::string& message);

}  // namespace gt
