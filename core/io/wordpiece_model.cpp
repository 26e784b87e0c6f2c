// WordPiece (BERT's model, tokenizers' models/wordpiece): greedy longest-match-first from the
// start of the word, pieces after the first carry the continuing-subword prefix ("##"); a word
// with a part no piece matches, or longer than max_input_chars_per_word characters, is [UNK].
#include "core/io/tokenizer_model.h"
#include "core/io/unicode_text.h"
#include "core/io/vocab_table.h"
#include "core/util/error.h"

namespace gt {
namespace {

class WordPieceModel : public VocabModel {
 public:
  std::string prefix = "##";
  size_t maxChars = 100;
  int64_t unkId = -1;

  void tokenize(const std::string& word, std::vector<int64_t>& out) const override {
    std::vector<size_t> bounds;  // character boundaries
    for (size_t i = 0; i < word.size();) {
      bounds.push_back(i);
      char32_t cp = 0;
      i += size_t(utf8Next(word, i, cp));
    }
    bounds.push_back(word.size());
    if (bounds.size() - 1 > maxChars) {
      out.push_back(unkId);
      return;
    }
    std::vector<int64_t> pieces;
    size_t startIdx = 0;
    while (startIdx + 1 < bounds.size()) {
      int64_t found = -1;
      size_t endIdx = bounds.size() - 1;
      for (; endIdx > startIdx; --endIdx) {
        std::string sub = word.substr(bounds[startIdx], bounds[endIdx] - bounds[startIdx]);
        if (startIdx > 0) sub = prefix + sub;
        found = vocab.find(sub);
        if (found >= 0) break;
      }
      if (found < 0) {
        out.push_back(unkId);
        return;
      }
      pieces.push_back(found);
      startIdx = endIdx;
    }
    out.insert(out.end(), pieces.begin(), pieces.end());
  }

};

}  // namespace

std::unique_ptr<TokenizerModel> makeWordPieceModel(const nlohmann::json& model, const std::string& where) {
  auto m = std::make_unique<WordPieceModel>();
  check(model.contains("vocab") && model["vocab"].is_object(), where + ": model.vocab must be an object {token: id}");
  for (auto it = model["vocab"].begin(); it != model["vocab"].end(); ++it) {
    check(it.value().is_number_integer() && it.value().get<int64_t>() >= 0,
          where + ": vocab entry '" + it.key() + "' must map to a non-negative integer id");
    m->vocab.add(it.key(), it.value().get<int64_t>());
  }
  if (model.contains("continuing_subword_prefix") && model["continuing_subword_prefix"].is_string())
    m->prefix = model["continuing_subword_prefix"].get<std::string>();
  if (model.contains("max_input_chars_per_word") && model["max_input_chars_per_word"].is_number_unsigned())
    m->maxChars = model["max_input_chars_per_word"].get<size_t>();
  const std::string unk = model.contains("unk_token") && model["unk_token"].is_string() ? model["unk_token"].get<std::string>() : "[UNK]";
  m->unkId = m->vocab.find(unk);
  check(m->unkId >= 0, where + ": model.unk_token '" + unk + "' is not in the vocabulary");
  return m;
}

}  // namespace gt
