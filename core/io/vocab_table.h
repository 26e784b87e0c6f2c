// Token string <-> id tables shared by the tokenizer models.
#pragma once
#include <cstdint>
#include <string>
#include <unordered_map>
#include <vector>

namespace gt {

struct VocabTable {
  std::unordered_map<std::string, int64_t> ids;
  std::vector<std::string> tokens;  // by id; "" for ids no token has
  std::vector<bool> present;

  void add(const std::string& token, int64_t id) {
    ids[token] = id;
    if (size_t(id) >= tokens.size()) {
      tokens.resize(size_t(id) + 1);
      present.resize(size_t(id) + 1, false);
    }
    tokens[size_t(id)] = token;
    present[size_t(id)] = true;
  }
  int64_t find(const std::string& token) const {
    auto it = ids.find(token);
    return it == ids.end() ? -1 : it->second;
  }
  const std::string* token(int64_t id) const {
    return id >= 0 && size_t(id) < tokens.size() && present[size_t(id)] ? &tokens[size_t(id)] : nullptr;
  }
};

// Byte fallback: appends the "<0xXX>" token of every byte of `text` and returns true, or appends
// nothing and returns false when one of them is missing from `vocab`.
bool appendByteTokens(const VocabTable& vocab, const std::string& text, std::vector<int64_t>& out);

}  // namespace gt
