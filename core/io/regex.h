// A compiled regular expression (PCRE2 with UTF and Unicode properties, JIT when available), so
// the patterns of tokenizer.json files (\p{L}, \p{N}, lookahead, (?i:...)) run as written.
// Subjects must be valid UTF-8 (the tokenizer checks its input once).
#pragma once
#include <string>
#include <utility>
#include <vector>

namespace gt {

class Regex {
 public:
  explicit Regex(const std::string& pattern);  // throws gt::Error with PCRE2's message
  ~Regex();
  Regex(const Regex&) = delete;
  Regex& operator=(const Regex&) = delete;
  // Non-overlapping matches as [begin, end) byte offsets, left to right.
  std::vector<std::pair<size_t, size_t>> findAll(const std::string& text) const;
  // `text` with every match replaced by `with` (literally).
  std::string replaceAll(const std::string& text, const std::string& with) const;

 private:
  void* code_ = nullptr;  // pcre2_code*
};

}  // namespace gt
