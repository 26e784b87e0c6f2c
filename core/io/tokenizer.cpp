#include "core/io/tokenizer.h"

#include "core/io/hf_tokenizer.h"
#include "core/io/sentencepiece_tokenizer.h"
#include "core/util/error.h"

namespace gt {
namespace fs = std::filesystem;

std::vector<std::string> Tokenizer::tokens(const std::vector<int64_t>& ids) const {
  std::vector<std::string> out;
  for (int64_t id : ids) out.push_back(idToToken(id));
  return out;
}

std::vector<int64_t> Tokenizer::addSpecialTokens(std::vector<int64_t>) const {
  throw Error("this tokenizer defines no special-token template (a tokenizer.json post_processor does; tokenizer.model and "
              "vocab.json + merges.txt have none)");
}

std::unique_ptr<Tokenizer> loadTokenizer(const fs::path& path) {
  check(fs::exists(path), path.string() + ": tokenizer not found");
  if (fs::is_directory(path)) {
    if (fs::exists(path / "tokenizer.json")) return HfTokenizer::fromTokenizerJson(path / "tokenizer.json");
    if (fs::exists(path / "tokenizer.model")) return std::make_unique<SentencePieceTokenizer>(path / "tokenizer.model");
    if (fs::exists(path / "vocab.json") && fs::exists(path / "merges.txt"))
      return HfTokenizer::fromVocabAndMerges(path / "vocab.json", path / "merges.txt");
    throw Error(path.string() + ": no tokenizer.json, tokenizer.model or vocab.json + merges.txt in this folder");
  }
  const std::string name = path.filename().string();
  if (path.extension() == ".model") return std::make_unique<SentencePieceTokenizer>(path);
  if (name == "vocab.json") {
    check(fs::exists(path.parent_path() / "merges.txt"), path.string() + ": merges.txt expected beside vocab.json");
    return HfTokenizer::fromVocabAndMerges(path, path.parent_path() / "merges.txt");
  }
  if (path.extension() == ".json") return HfTokenizer::fromTokenizerJson(path);
  throw Error(path.string() + ": unknown tokenizer file (expected tokenizer.json, tokenizer.model or vocab.json)");
}

}  // namespace gt
