#include "core/io/tokenizer_model.h"

#include <cstdio>

#include "core/io/vocab_table.h"
#include "core/util/error.h"

namespace gt {

std::string byteFallbackToken(unsigned char b) {
  char name[8];
  std::snprintf(name, sizeof name, "<0x%02X>", b);
  return name;
}

bool appendByteTokens(const VocabTable& vocab, const std::string& text, std::vector<int64_t>& out) {
  const size_t start = out.size();
  for (unsigned char b : text) {
    const int64_t id = vocab.find(byteFallbackToken(b));
    if (id < 0) {
      out.resize(start);
      return false;
    }
    out.push_back(id);
  }
  return true;
}

std::unique_ptr<TokenizerModel> makeTokenizerModel(const nlohmann::json& model, const std::string& where) {
  check(model.is_object(), where + ": missing object 'model'");
  // Older files carry no type; the library then tells the models apart by their fields.
  const std::string type = model.contains("type") && model["type"].is_string() ? model["type"].get<std::string>()
                           : model.contains("vocab") && model["vocab"].is_array() ? "Unigram"
                           : model.contains("merges")                              ? "BPE"
                                                                                   : "WordPiece";
  if (type == "BPE") return makeBpeModel(model, where);
  if (type == "Unigram") return makeUnigramModel(model, where);
  if (type == "WordPiece") return makeWordPieceModel(model, where);
  throw Error(where + ": model.type '" + type + "' is not supported (expected BPE, Unigram or WordPiece)");
}

}  // namespace gt
