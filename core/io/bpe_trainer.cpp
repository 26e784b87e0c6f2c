#include "core/io/bpe_trainer.h"

#include <nlohmann/json.hpp>

#include <algorithm>
#include <queue>
#include <unordered_set>

#include "core/io/byte_level.h"
#include "core/io/pre_tokenizer.h"
#include "core/util/atomic_file.h"
#include "core/util/error.h"

namespace gt {
namespace {

uint64_t pairKey(int32_t a, int32_t b) { return (uint64_t(uint32_t(a)) << 32) | uint32_t(b); }

struct Candidate {
  int64_t count;
  uint64_t pair;
  bool operator<(const Candidate& o) const {  // max-heap: higher count, then lower pair ids
    return count != o.count ? count < o.count : pair > o.pair;
  }
};

}  // namespace

BpeTrainer::BpeTrainer(BpeTrainerOptions options) : options_(std::move(options)) {}

void BpeTrainer::addText(const std::string& text) {
  static const auto pre = makePreTokenizer({{"type", "ByteLevel"}, {"add_prefix_space", false}, {"use_regex", true}}, "trainer");
  for (auto& piece : pre->apply({PreToken{text, true}})) {
    std::string& w = piece.text;
    auto it = wordIndex_.find(w);
    if (it == wordIndex_.end()) {
      wordIndex_.emplace(w, wordList_.size());
      wordList_.emplace_back(std::move(w), 1);
    } else {
      ++wordList_[it->second].second;
    }
    ++totalWords_;
  }
}

BpeTrainingResult BpeTrainer::train(const std::filesystem::path& outDir) {
  const int64_t base = int64_t(options_.specialTokens.size()) + 256;
  check(options_.vocabSize >= base, "--vocab-size must be at least " + std::to_string(base) +
                                        " (256 byte symbols + " + std::to_string(options_.specialTokens.size()) + " special tokens)");
  check(!wordList_.empty(), "tokenizer train: no text in the input");

  // Vocabulary: special tokens, then the byte alphabet in code-point order (as tokenizers does).
  std::vector<std::string> tokens = options_.specialTokens;
  std::vector<std::string> alphabet;
  for (int b = 0; b < 256; ++b) alphabet.push_back(byteLevelEncode(std::string(1, char(b))));
  std::sort(alphabet.begin(), alphabet.end(), [](const std::string& x, const std::string& y) {
    return utf8Chars(x)[0].size() != utf8Chars(y)[0].size() ? x.size() < y.size() : x < y;
  });
  std::unordered_map<std::string, int32_t> idOf;
  for (const auto& a : alphabet) tokens.push_back(a);
  for (size_t i = 0; i < tokens.size(); ++i) idOf[tokens[i]] = int32_t(i);

  // Words as symbol ids, with counts; pair counts and where each pair occurs.
  std::vector<std::vector<int32_t>> words(wordList_.size());
  std::vector<int64_t> counts(wordList_.size());
  std::unordered_map<uint64_t, int64_t> pairCount;
  std::unordered_map<uint64_t, std::unordered_set<size_t>> where;
  for (size_t w = 0; w < wordList_.size(); ++w) {
    for (const auto& ch : utf8Chars(wordList_[w].first)) words[w].push_back(idOf.at(ch));
    counts[w] = wordList_[w].second;
    for (size_t i = 0; i + 1 < words[w].size(); ++i) {
      const uint64_t k = pairKey(words[w][i], words[w][i + 1]);
      pairCount[k] += counts[w];
      where[k].insert(w);
    }
  }
  std::priority_queue<Candidate> heap;
  for (const auto& [k, c] : pairCount) heap.push({c, k});

  std::vector<std::pair<std::string, std::string>> merges;
  while (int64_t(tokens.size()) < options_.vocabSize && !heap.empty()) {
    const Candidate top = heap.top();
    heap.pop();
    const int64_t current = pairCount.count(top.pair) ? pairCount[top.pair] : 0;
    if (current != top.count) {  // stale entry
      if (current > 0) heap.push({current, top.pair});
      continue;
    }
    if (current < options_.minFrequency) break;
    const int32_t a = int32_t(top.pair >> 32), b = int32_t(top.pair & 0xffffffffu);
    const int32_t merged = int32_t(tokens.size());
    tokens.push_back(tokens[size_t(a)] + tokens[size_t(b)]);
    merges.emplace_back(tokens[size_t(a)], tokens[size_t(b)]);
    std::unordered_map<uint64_t, int64_t> changed;
    for (size_t w : where[top.pair]) {
      auto& syms = words[w];
      bool hit = false;
      for (size_t i = 0; i + 1 < syms.size(); ++i) hit |= syms[i] == a && syms[i + 1] == b;
      if (!hit) continue;
      for (size_t i = 0; i + 1 < syms.size(); ++i) changed[pairKey(syms[i], syms[i + 1])] -= counts[w];
      std::vector<int32_t> next;
      for (size_t i = 0; i < syms.size();) {
        if (i + 1 < syms.size() && syms[i] == a && syms[i + 1] == b) {
          next.push_back(merged);
          i += 2;
        } else {
          next.push_back(syms[i++]);
        }
      }
      syms = std::move(next);
      for (size_t i = 0; i + 1 < syms.size(); ++i) {
        const uint64_t k = pairKey(syms[i], syms[i + 1]);
        changed[k] += counts[w];
        where[k].insert(w);
      }
    }
    where.erase(top.pair);
    for (const auto& [k, delta] : changed) {
      if (delta == 0) continue;
      const int64_t c = (pairCount[k] += delta);
      if (c > 0) heap.push({c, k});
      else pairCount.erase(k);
    }
  }

  nlohmann::ordered_json vocab = nlohmann::ordered_json::object();
  for (size_t i = 0; i < tokens.size(); ++i) vocab[tokens[i]] = int64_t(i);
  nlohmann::ordered_json mergeList = nlohmann::ordered_json::array();
  for (const auto& [x, y] : merges) mergeList.push_back({x, y});
  nlohmann::ordered_json added = nlohmann::ordered_json::array();
  for (size_t i = 0; i < options_.specialTokens.size(); ++i)
    added.push_back({{"id", int64_t(i)}, {"content", options_.specialTokens[i]}, {"single_word", false}, {"lstrip", false},
                     {"rstrip", false}, {"normalized", false}, {"special", true}});
  const nlohmann::ordered_json byteLevel = {{"type", "ByteLevel"}, {"add_prefix_space", false}, {"trim_offsets", true}, {"use_regex", true}};
  nlohmann::ordered_json j = {{"version", "1.0"},
                              {"truncation", nullptr},
                              {"padding", nullptr},
                              {"added_tokens", added},
                              {"normalizer", nullptr},
                              {"pre_tokenizer", byteLevel},
                              {"post_processor", byteLevel},
                              {"decoder", byteLevel},
                              {"model",
                               {{"type", "BPE"},
                                {"dropout", nullptr},
                                {"unk_token", nullptr},
                                {"continuing_subword_prefix", nullptr},
                                {"end_of_word_suffix", nullptr},
                                {"fuse_unk", false},
                                {"byte_fallback", false},
                                {"ignore_merges", false},
                                {"vocab", vocab},
                                {"merges", mergeList}}}};
  std::filesystem::create_directories(outDir);
  writeTextAtomically(outDir / "tokenizer.json", j.dump(2, ' ', false) + "\n");
  return {int64_t(tokens.size()), int64_t(merges.size()), int64_t(wordList_.size()), totalWords_};
}

}  // namespace gt
