// SentencePiece models (tokenizer.model) through libsentencepiece, with its own normalisation.
// libsentencepiece is reached through the gt_sentencepiece plugin (sentencepiece_plugin.h).
#pragma once
#include <filesystem>
#include <memory>

#include "core/io/tokenizer.h"

namespace gt {

class SentencePieceTokenizer : public Tokenizer {
 public:
  explicit SentencePieceTokenizer(const std::filesystem::path& modelFile);
  ~SentencePieceTokenizer() override;

  std::vector<int64_t> encode(const std::string& text) const override;
  std::string decode(const std::vector<int64_t>& ids, bool skipSpecialTokens = true) const override;
  std::string idToToken(int64_t id) const override;
  int64_t tokenToId(const std::string& token) const override;
  int64_t vocabSize() const override { return size_; }

 struct Plugin;  // the plugin's entry points (defined in the .cpp)

 private:
  const Plugin& plugin_;
  void* handle_ = nullptr;  // gt_spm*
  int64_t size_ = 0;
};

}  // namespace gt
