#include "core/util/error.h"

namespace gt {

void check(bool condition, const std::string& message) {
  if (!condition) throw Error(message);
}

}  // namespace gt
