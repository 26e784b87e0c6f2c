// Byte-pair encoding as Hugging Face's tokenizers library runs it: added tokens are cut out
// first, the rest is normalised, pre-tokenised (ByteLevel/Split/...) and each piece merged by
// merge rank; decoding maps GPT-2's byte alphabet back to bytes.
#pragma once
#include <nlohmann/json.hpp>

#include <filesystem>
#include <memory>
#include <mutex>
#include <string>
#include <unordered_map>
#include <vector>

#include "core/io/normalizer.h"
#include "core/io/pre_tokenizer.h"
#include "core/io/tokenizer.h"

namespace gt {

class BpeTokenizer : public Tokenizer {
 public:
  static std::unique_ptr<BpeTokenizer> fromTokenizerJson(const std::filesystem::path& path);
  static std::unique_ptr<BpeTokenizer> fromVocabAndMerges(const std::filesystem::path& vocabJson, const std::filesystem::path& mergesTxt);

  std::vector<int64_t> encode(const std::string& text) const override;
  std::string decode(const std::vector<int64_t>& ids, bool skipSpecialTokens = true) const override;
  std::string idToToken(int64_t id) const override;
  int64_t tokenToId(const std::string& token) const override;
  int64_t vocabSize() const override { return int64_t(idToToken_.size()); }

 private:
  struct AddedToken {
    std::string content;
    int64_t id;
    bool special, lstrip, rstrip;
  };

  BpeTokenizer() = default;
  void setVocab(const nlohmann::json& vocab, const std::string& where);
  void addMerge(const std::string& a, const std::string& b, const std::string& where);
  std::vector<int64_t> encodeWord(const std::string& word) const;
  void encodeSegment(const std::string& text, std::vector<int64_t>& out) const;

  std::unordered_map<std::string, int64_t> tokenToId_;
  std::vector<std::string> idToToken_;
  std::unordered_map<std::string, int> mergeRank_;  // key: a + '\0' + b
  std::vector<AddedToken> added_;                   // longest first
  std::unordered_map<int64_t, size_t> addedById_;
  Normalizer normalizer_;
  std::unique_ptr<PreTokenizer> preTokenizer_;
  bool byteLevelDecoder_ = true;
  bool ignoreMerges_ = false;
  bool byteFallback_ = false;
  int64_t unkId_ = -1;
  mutable std::mutex cacheMutex_;
  mutable std::unordered_map<std::string, std::vector<int64_t>> cache_;
};

}  // namespace gt
