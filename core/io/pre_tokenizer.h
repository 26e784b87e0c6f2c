// Pre-tokenizers of a tokenizer.json ("pre_tokenizer" field): they cut normalised text into
// pieces that BPE encodes independently. Regular expressions run in PCRE2 with UTF and Unicode
// properties, so GPT-2's pattern (\p{L}, \p{N}, lookahead) runs as written.
#pragma once
#include <nlohmann/json.hpp>

#include <memory>
#include <string>
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

 private:
  void* code_ = nullptr;  // pcre2_code*
};

class PreTokenizer {
 public:
  virtual ~PreTokenizer() = default;
  // Transforms the list of pieces (each piece may be split further or rewritten).
  virtual std::vector<std::string> apply(const std::vector<std::string>& pieces) const = 0;
  // True when the pieces come out in GPT-2's byte-to-unicode alphabet.
  virtual bool byteLevel() const { return false; }
};

// ByteLevel, Split, Whitespace, WhitespaceSplit, Digits, Sequence; null -> no splitting.
std::unique_ptr<PreTokenizer> makePreTokenizer(const nlohmann::json& spec, const std::string& where);

// GPT-2's pre-tokenisation pattern (the ByteLevel pre-tokenizer's regex).
extern const char* const kGpt2Pattern;

}  // namespace gt
