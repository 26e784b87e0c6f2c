// Plain-text corpora for tokenizer training and pretraining: a text file holds one document per
// line; a .jsonl file contributes the "source" and "target" strings of each row.
#pragma once
#include <filesystem>
#include <string>
#include <vector>

namespace gt {

// Blank lines are skipped. Throws gt::Error naming the file (and line) when it cannot be read,
// holds malformed JSON, or has no text.
std::vector<std::string> readDocuments(const std::filesystem::path& path);

}  // namespace gt
