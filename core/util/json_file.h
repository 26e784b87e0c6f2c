// Reading JSON files with errors that name the file.
#pragma once
#include <filesystem>
#include <nlohmann/json.hpp>

namespace gt {

// Throws gt::Error "<path>: cannot read" or "<path>: malformed JSON: <parser message>".
nlohmann::json readJsonFile(const std::filesystem::path& path);
std::string readTextFile(const std::filesystem::path& path);

}  // namespace gt
