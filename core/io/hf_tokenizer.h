// A Hugging Face tokenizer.json, run as the tokenizers library (Rust) runs it: added tokens are
// cut out of the raw text, the rest is normalised, normalized added tokens are cut out, each piece
// is pre-tokenised and encoded by the model (BPE, Unigram or WordPiece); the post-processor adds
// special tokens when asked; decoding maps ids to token strings and runs the decoder chain.
// Also reads GPT-2's vocab.json + merges.txt (byte-level BPE).
#pragma once
#include <filesystem>
#include <memory>
#include <string>
#include <vector>

#include "core/io/added_vocabulary.h"
#include "core/io/decoder.h"
#include "core/io/normalizer.h"
#include "core/io/post_processor.h"
#include "core/io/pre_tokenizer.h"
#include "core/io/tokenizer.h"
#include "core/io/tokenizer_model.h"

namespace gt {

class HfTokenizer : public Tokenizer {
 public:
  static std::unique_ptr<HfTokenizer> fromTokenizerJson(const std::filesystem::path& path);
  static std::unique_ptr<HfTokenizer> fromVocabAndMerges(const std::filesystem::path& vocabJson, const std::filesystem::path& mergesTxt);

  std::vector<int64_t> encode(const std::string& text) const override;
  std::vector<int64_t> addSpecialTokens(std::vector<int64_t> ids) const override { return postProcessor_(std::move(ids)); }
  std::string decode(const std::vector<int64_t>& ids, bool skipSpecialTokens = true) const override;
  std::string idToToken(int64_t id) const override;
  int64_t tokenToId(const std::string& token) const override;
  int64_t vocabSize() const override;

 private:
  HfTokenizer() = default;
  void encodePiece(const std::string& text, bool atTextStart, std::vector<int64_t>& out) const;

  std::unique_ptr<TokenizerModel> model_;
  AddedVocabulary added_;
  Normalizer normalizer_;  // empty: none
  std::unique_ptr<PreTokenizer> preTokenizer_;
  DecodeChain decoder_;    // empty: tokens joined with spaces
  PostProcessor postProcessor_;
};

}  // namespace gt
