// The Unigram model (SentencePiece's, as tokenizers' models/unigram/model.rs runs it): the
// segmentation with the highest sum of piece log-probabilities, by Viterbi over the pieces that
// start at each character (found with a trie). A character no piece covers is the unknown piece,
// scored min_score - 10; adjacent unknowns are fused; with byte_fallback an unknown run becomes
// its bytes' <0xXX> pieces.
#include <limits>
#include <mutex>
#include <unordered_map>

#include "core/io/byte_trie.h"
#include "core/io/tokenizer_model.h"
#include "core/io/unicode_text.h"
#include "core/io/vocab_table.h"
#include "core/util/error.h"

namespace gt {
namespace {

constexpr double kUnknownPenalty = 10.0;

class UnigramModel : public VocabModel {
 public:
  std::vector<double> scores;
  ByteTrie trie;
  int64_t unkId = -1;
  bool byteFallback = false;
  double minScore = std::numeric_limits<double>::infinity();

  void tokenize(const std::string& word, std::vector<int64_t>& out) const override {
    for (const auto& piece : segment(word)) {
      const int64_t id = vocab.find(piece);
      if (id >= 0) {
        out.push_back(id);
        continue;
      }
      if (byteFallback && appendByteTokens(vocab, piece, out)) continue;
      out.push_back(unkId);
    }
  }


 private:
  struct Node {
    int64_t id = -1;
    double score = 0;
    size_t start = 0;
    bool reached = false;
  };

  std::vector<std::string> segment(const std::string& text) const {
    const size_t n = text.size();
    std::vector<Node> best(n + 1);
    best[0].reached = true;
    const double unkScore = minScore - kUnknownPenalty;
    size_t start = 0;
    while (start < n) {
      const double here = best[start].score;
      char32_t cp = 0;
      const size_t charLen = size_t(utf8Next(text, start, cp));
      bool singleCharPiece = false;
      trie.forEachPrefix(text, start, [&](size_t len, int64_t id) {
        Node& target = best[start + len];
        const double candidate = here + scores[size_t(id)];
        if (!target.reached || candidate > target.score) target = {id, candidate, start, true};
        if (len == charLen) singleCharPiece = true;
      });
      if (!singleCharPiece) {
        Node& target = best[start + charLen];
        const double candidate = here + unkScore;
        if (!target.reached || candidate > target.score) target = {unkId, candidate, start, true};
      }
      start += charLen;
    }
    std::vector<std::string> pieces;
    std::vector<std::string> unknownParts;
    auto flushUnknown = [&] {
      if (unknownParts.empty()) return;
      std::string fused;
      for (auto it = unknownParts.rbegin(); it != unknownParts.rend(); ++it) fused += *it;
      pieces.push_back(std::move(fused));
      unknownParts.clear();
    };
    for (size_t end = n; end > 0;) {
      const Node& node = best[end];
      std::string piece = text.substr(node.start, end - node.start);
      if (node.id == unkId) {
        unknownParts.push_back(std::move(piece));
      } else {
        flushUnknown();
        pieces.push_back(std::move(piece));
      }
      end = node.start;
    }
    flushUnknown();
    return {pieces.rbegin(), pieces.rend()};
  }
};

}  // namespace

std::unique_ptr<TokenizerModel> makeUnigramModel(const nlohmann::json& model, const std::string& where) {
  auto m = std::make_unique<UnigramModel>();
  check(model.contains("vocab") && model["vocab"].is_array(), where + ": model.vocab of a Unigram model must be an array of [piece, score]");
  const auto& vocab = model["vocab"];
  for (size_t i = 0; i < vocab.size(); ++i) {
    const auto& e = vocab[i];
    check(e.is_array() && e.size() == 2 && e[0].is_string() && e[1].is_number(),
          where + ": model.vocab[" + std::to_string(i) + "] must be [piece, score]");
    const std::string piece = e[0].get<std::string>();
    m->vocab.add(piece, int64_t(i));
    m->scores.push_back(e[1].get<double>());
    m->minScore = std::min(m->minScore, m->scores.back());
    if (!piece.empty()) m->trie.insert(piece, int64_t(i));
  }
  check(!vocab.empty(), where + ": model.vocab of a Unigram model is empty");
  if (model.contains("unk_id") && !model["unk_id"].is_null()) {
    check(model["unk_id"].is_number_integer() && model["unk_id"].get<int64_t>() >= 0 && model["unk_id"].get<int64_t>() < int64_t(vocab.size()),
          where + ": model.unk_id must be an index into model.vocab (0.." + std::to_string(vocab.size() - 1) + ")");
    m->unkId = model["unk_id"].get<int64_t>();
  } else {
    // Without an unknown piece a character the vocabulary lacks cannot be encoded; the library
    // fails at encoding time, we refuse the file up front.
    throw Error(where + ": model.unk_id is missing (a Unigram model needs an unknown piece)");
  }
  m->byteFallback = model.value("byte_fallback", false);
  return m;
}

}  // namespace gt
