#include "core/io/tokenizer_model.h"

#include <cstdio>

#include "core/util/error.h"

namespace gt {

std::string byteFallbackToken(unsigned char b) {
  char name[8];
  std::snprintf(name, sizeof name, "<0x%02X>", b);
  return name;
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
