// SentencePiece's precompiled normalisation map (normalizer "Precompiled" in a tokenizer.json,
// e.g. T5's nmt_nfkc): a Darts double-array trie from UTF-8 sequences to replacement strings,
// applied grapheme by grapheme as tokenizers' spm_precompiled crate does.
#pragma once
#include <cstdint>
#include <string>
#include <vector>

namespace gt {

class PrecompiledCharsMap {
 public:
  // `blob`: the decoded precompiled_charsmap (uint32 trie size, trie units, replacement strings).
  PrecompiledCharsMap(const std::string& blob, const std::string& where);
  std::string normalize(const std::string& text) const;

 private:
  // The replacement for the shortest key that prefixes text[begin, end), or nullptr.
  const char* transform(const std::string& text, size_t begin, size_t end) const;
  std::vector<uint32_t> units_;
  std::string normalized_;
};

}  // namespace gt
