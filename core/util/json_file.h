// Reading JSON files with errors that name the file.
#pragma once
#include <filesystem>
#include <functional>
#include <istream>
#include <nlohmann/json.hpp>
#include <string>

namespace gt {

// Throws gt::Error "<path>: cannot read" or "<path>: malformed JSON: <parser message>".
nlohmann::json readJsonFile(const std::filesystem::path& path);
std::string readTextFile(const std::filesystem::path& path);

// One non-blank line of a JSON Lines file, parsed (object keys in file order).
struct JsonLine {
  nlohmann::ordered_json value;
  int64_t number = 0;  // 1-based line number in the file
  std::string where;   // "<file>:<line>", for messages
};
// Calls `line` for every non-blank line of `in`. Throws gt::Error "<file>:<line>: malformed JSON:
// <parser message>". The caller opens the stream (and words its own "cannot read" error).
void forEachJsonLine(std::istream& in, const std::string& file, const std::function<void(const JsonLine& line)>& line);

}  // namespace gt
