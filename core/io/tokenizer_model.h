// The "model" of a tokenizer.json: turns one pre-tokenised word into token ids. BPE (merges by
// rank, byte fallback), Unigram (Viterbi over piece scores) and WordPiece (greedy longest match),
// each as the Hugging Face tokenizers library (Rust) defines it.
#pragma once
#include <nlohmann/json.hpp>

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "core/io/vocab_table.h"

namespace gt {

class TokenizerModel {
 public:
  virtual ~TokenizerModel() = default;
  // Appends the ids of `word` (non-empty, valid UTF-8) to `out`.
  virtual void tokenize(const std::string& word, std::vector<int64_t>& out) const = 0;
  virtual int64_t tokenToId(const std::string& token) const = 0;  // -1 when absent
  virtual const std::string* idToToken(int64_t id) const = 0;      // nullptr when absent
  virtual int64_t size() const = 0;                                // largest id + 1
  virtual int64_t entryCount() const = 0;                          // number of tokens (the library's vocab size)
};

// The token <-> id side every model shares: a VocabTable.
class VocabModel : public TokenizerModel {
 public:
  VocabTable vocab;
  int64_t tokenToId(const std::string& token) const override { return vocab.find(token); }
  const std::string* idToToken(int64_t id) const override { return vocab.token(id); }
  int64_t size() const override { return int64_t(vocab.tokens.size()); }
  int64_t entryCount() const override { return int64_t(vocab.ids.size()); }
};

// From the "model" object of a tokenizer.json; `where` (the file) prefixes every error.
std::unique_ptr<TokenizerModel> makeTokenizerModel(const nlohmann::json& model, const std::string& where);

// A byte-level BPE from GPT-2's vocab.json object and merges.txt lines ("a b").
std::unique_ptr<TokenizerModel> makeBpeModel(const nlohmann::json& vocab, const std::vector<std::pair<std::string, std::string>>& merges,
                                             const std::string& where);

// "<0x41>": the byte-fallback token name of a byte.
std::string byteFallbackToken(unsigned char b);

}  // namespace gt

namespace gt {
// The per-type builders behind makeTokenizerModel (each in its own file).
std::unique_ptr<TokenizerModel> makeBpeModel(const nlohmann::json& model, const std::string& where);
std::unique_ptr<TokenizerModel> makeUnigramModel(const nlohmann::json& model, const std::string& where);
std::unique_ptr<TokenizerModel> makeWordPieceModel(const nlohmann::json& model, const std::string& where);
}  // namespace gt
