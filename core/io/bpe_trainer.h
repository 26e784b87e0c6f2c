// Trains a byte-level BPE tokenizer (GPT-2 pre-tokenisation and byte alphabet) and writes a
// tokenizer.json in Hugging Face's format: special tokens first, then the 256 byte symbols, then
// one token per merge, most frequent pair first (ties: the pair of lower ids).
#pragma once
#include <filesystem>
#include <unordered_map>
#include <string>
#include <vector>

namespace gt {

struct BpeTrainerOptions {
  int64_t vocabSize = 8192;  // including special tokens and the 256 byte symbols
  int64_t minFrequency = 2;  // pairs seen fewer times are not merged
  std::vector<std::string> specialTokens = {"<|endoftext|>"};
};

struct BpeTrainingResult {
  int64_t vocabSize = 0;
  int64_t merges = 0;
  int64_t words = 0;        // distinct pre-tokenised words
  int64_t totalWords = 0;
};

class BpeTrainer {
 public:
  explicit BpeTrainer(BpeTrainerOptions options);
  // Adds a text (one document or line) to the word counts.
  void addText(const std::string& text);
  // Runs the merges and writes dir/tokenizer.json atomically. Throws gt::Error for a vocabulary
  // smaller than the byte alphabet plus the special tokens, or no text.
  BpeTrainingResult train(const std::filesystem::path& outDir);

 private:
  BpeTrainerOptions options_;
  std::vector<std::pair<std::string, int64_t>> wordList_;
  std::unordered_map<std::string, size_t> wordIndex_;
  int64_t totalWords_ = 0;
};

}  // namespace gt
