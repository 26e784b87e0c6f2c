#include "core/util/json_file.h"

#include <fstream>
#include <sstream>

#include "core/util/error.h"

namespace gt {

std::string readTextFile(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  check(static_cast<bool>(in) && !std::filesystem::is_directory(path), path.string() + ": cannot read file");
  std::ostringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

nlohmann::json readJsonFile(const std::filesystem::path& path) {
  const std::string text = readTextFile(path);
  try {
    return nlohmann::json::parse(text);
  } catch (const nlohmann::json::parse_error& e) {
    throw Error(path.string() + ": malformed JSON: " + e.what());
  }
}

}  // namespace gt
