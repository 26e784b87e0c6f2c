// Tokenizer: text <-> token ids. Implementations: HfTokenizer (tokenizer.json, or GPT-2's
// vocab.json + merges.txt) and SentencePieceTokenizer (tokenizer.model via libsentencepiece).
#pragma once
#include <cstdint>
#include <filesystem>
#include <memory>
#include <string>
#include <vector>

namespace gt {

class Tokenizer {
 public:
  virtual ~Tokenizer() = default;
  // No special tokens are added (no BOS/EOS); special tokens written in the text are recognised.
  // Text must be valid UTF-8 (gt::Error naming the byte otherwise).
  virtual std::vector<int64_t> encode(const std::string& text) const = 0;
  // The special tokens a model expects around one encoded sequence (BOS, [CLS] ... [SEP], </s>),
  // from tokenizer.json's post_processor. Throws gt::Error when the tokenizer defines none.
  virtual std::vector<int64_t> addSpecialTokens(std::vector<int64_t> ids) const;
  virtual std::string decode(const std::vector<int64_t>& ids, bool skipSpecialTokens = true) const = 0;
  virtual std::string idToToken(int64_t id) const = 0;
  virtual int64_t tokenToId(const std::string& token) const = 0;  // -1 when absent
  virtual int64_t vocabSize() const = 0;                           // including added tokens

  std::vector<std::string> tokens(const std::vector<int64_t>& ids) const;
};

// Accepts a folder (tokenizer.json, else tokenizer.model, else vocab.json + merges.txt) or one
// of those files. Throws gt::Error naming the path and what was expected.
std::unique_ptr<Tokenizer> loadTokenizer(const std::filesystem::path& path);

}  // namespace gt
