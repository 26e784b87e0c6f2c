// The added tokens of a tokenizer.json ("added_tokens"): strings cut out of the text before the
// model sees it, as tokenizers' AddedVocabulary does. Tokens with normalized: false are found in
// the raw text, the others in each normalised piece (their content normalised the same way);
// both searches are one left-to-right pass over a byte trie, leftmost-longest, honouring
// single_word, lstrip and rstrip (Unicode whitespace).
#pragma once
#include <cstdint>
#include <string>
#include <unordered_map>
#include <unordered_set>
#include <vector>

#include "core/io/byte_trie.h"
#include "core/io/normalizer.h"

namespace gt {

struct AddedToken {
  std::string content;
  int64_t id = -1;
  bool special = false, singleWord = false, lstrip = false, rstrip = false, normalized = false;
  // What the id decodes to: the content, or for a normalized token its normalised content (the
  // library keeps that form: "[INST]" under Prepend("▁") + Lowercase decodes as "▁[inst]").
  std::string tokenString;
};

struct TextSplit {
  size_t begin, end;
  int64_t id;  // the added token's id, or -1 for text between added tokens
};

class AddedVocabulary {
 public:
  void add(const AddedToken& token);
  // Builds the two search tries; `normalizer` normalises the content of normalized tokens.
  void build(const Normalizer& normalizer);
  // Cuts `text` at the added tokens of one kind (normalized or not).
  std::vector<TextSplit> split(const std::string& text, bool normalizedTokens) const;
  bool hasTokens(bool normalizedTokens) const { return !(normalizedTokens ? normalizedTrie_ : rawTrie_).empty(); }

  const AddedToken* byId(int64_t id) const;
  const AddedToken* byContent(const std::string& content) const;
  // Whether decoding with skipSpecialTokens drops this token string: it is a special token's content.
  bool isSpecialString(const std::string& token) const { return specialContents_.count(token) > 0; }
  int64_t maxId() const { return maxId_; }

 private:
  std::vector<AddedToken> tokens_;
  std::unordered_map<int64_t, size_t> byId_;
  std::unordered_map<std::string, size_t> byContent_;
  std::unordered_set<std::string> specialContents_;
  ByteTrie rawTrie_, normalizedTrie_;  // values: index into tokens_
  int64_t maxId_ = -1;
};

}  // namespace gt
