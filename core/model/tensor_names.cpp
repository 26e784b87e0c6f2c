#include "core/model/tensor_names.h"

#include <cctype>

namespace gt {

int64_t decoderLayerOf(const std::string& tensorName) {
  const std::string& s = tensorName;
  for (size_t dot = s.find('.'); dot != std::string::npos; dot = s.find('.', dot + 1)) {
    for (const std::string marker : {"layers.", "h."}) {
      if (s.compare(dot + 1, marker.size(), marker) != 0) continue;
      const size_t digits = dot + 1 + marker.size();
      size_t end = digits;
      while (end < s.size() && std::isdigit(static_cast<unsigned char>(s[end]))) ++end;
      if (end > digits && end < s.size() && s[end] == '.') return std::stoll(s.substr(digits, end - digits));
    }
  }
  return -1;
}

StackBlock encoderDecoderBlockOf(const std::string& tensorName) {
  for (const std::string stack : {"encoder", "decoder"}) {
    const std::string prefix = stack + ".block.";
    if (tensorName.compare(0, prefix.size(), prefix) != 0) continue;
    size_t end = prefix.size();
    while (end < tensorName.size() && std::isdigit(static_cast<unsigned char>(tensorName[end]))) ++end;
    if (end > prefix.size() && end < tensorName.size() && tensorName[end] == '.')
      return {stack, std::stoll(tensorName.substr(prefix.size(), end - prefix.size()))};
  }
  return {};
}

}  // namespace gt
