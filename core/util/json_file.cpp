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

void forEachJsonLine(std::istream& in, const std::string& file, const std::function<void(const JsonLine& line)>& line) {
  // A line longer than this is not a dataset row (e.g. /dev/zero): refuse it rather than grow without bound.
  constexpr size_t kMaxLineBytes = size_t(64) << 20;
  std::string text;
  JsonLine current;
  char buf[65536];
  while (true) {
    text.clear();
    bool sawLine = false;
    while (true) {
      const int c = in.peek();
      if (c == std::char_traits<char>::eof()) break;
      sawLine = true;
      if (c == '\n') {
        in.get();
        break;
      }
      in.get(buf, sizeof buf, '\n');  // at least one character: the next one is neither EOF nor '\n'
      text.append(buf, size_t(in.gcount()));
      check(text.size() <= kMaxLineBytes,
            file + ":" + std::to_string(current.number + 1) + ": line longer than 64 MiB (expected one JSON object per line)");
    }
    if (!sawLine) break;
    ++current.number;
    if (text.find_first_not_of(" \t\r") == std::string::npos) continue;
    current.where = file + ":" + std::to_string(current.number);
    try {
      current.value = nlohmann::ordered_json::parse(text);
    } catch (const nlohmann::json::parse_error& e) {
      throw Error(current.where + ": malformed JSON: " + e.what());
    }
    line(current);
  }
}

}  // namespace gt
