#include "core/io/text_documents.h"

#include <fstream>
#include <nlohmann/json.hpp>

#include "core/util/error.h"

namespace gt {
namespace fs = std::filesystem;

std::vector<std::string> readDocuments(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  check(static_cast<bool>(in) && fs::is_regular_file(path), path.string() + ": cannot read text");
  const bool jsonl = path.extension() == ".jsonl";
  std::vector<std::string> docs;
  std::string line;
  int64_t lineNo = 0;
  while (std::getline(in, line)) {
    ++lineNo;
    if (line.find_first_not_of(" \t\r") == std::string::npos) continue;
    if (!jsonl) {
      docs.push_back(line);
      continue;
    }
    nlohmann::json row;
    try {
      row = nlohmann::json::parse(line);
    } catch (const nlohmann::json::parse_error& e) {
      throw Error(path.string() + ":" + std::to_string(lineNo) + ": malformed JSON: " + e.what());
    }
    for (const char* f : {"source", "target"})
      if (row.contains(f) && row[f].is_string()) docs.push_back(row[f].get<std::string>());
  }
  check(!docs.empty(), path.string() + ": no text");
  return docs;
}

}  // namespace gt
