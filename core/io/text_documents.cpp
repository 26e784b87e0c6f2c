#include "core/io/text_documents.h"

#include <fstream>
#include <nlohmann/json.hpp>

#include "core/util/error.h"
#include "core/util/json_file.h"

namespace gt {
namespace fs = std::filesystem;

std::vector<std::string> readDocuments(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  check(static_cast<bool>(in) && fs::is_regular_file(path), path.string() + ": cannot read text");
  std::vector<std::string> docs;
  if (path.extension() == ".jsonl") {
    forEachJsonLine(in, path.string(), [&](const JsonLine& line) {
      for (const char* f : {"source", "target"})
        if (line.value.contains(f) && line.value[f].is_string()) docs.push_back(line.value[f].get<std::string>());
    });
  } else {
    std::string line;
    while (std::getline(in, line))
      if (line.find_first_not_of(" \t\r") != std::string::npos) docs.push_back(line);
  }
  check(!docs.empty(), path.string() + ": no text");
  return docs;
}

}  // namespace gt
