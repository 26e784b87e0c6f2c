#include "core/io/hf_tokenizer.h"

#include <sstream>

#include "core/io/byte_level.h"
#include "core/io/unicode_text.h"
#include "core/util/error.h"
#include "core/util/json_file.h"

namespace gt {

std::unique_ptr<HfTokenizer> HfTokenizer::fromTokenizerJson(const std::filesystem::path& path) {
  const std::string where = path.string();
  const auto j = readJsonFile(path);
  check(j.is_object() && j.contains("model") && j["model"].is_object(), where + ": missing object 'model'");
  std::unique_ptr<HfTokenizer> t(new HfTokenizer());
  t->model_ = makeTokenizerModel(j["model"], where);
  const auto normalizer = j.value("normalizer", nlohmann::json());
  if (!normalizer.is_null()) t->normalizer_ = makeNormalizer(normalizer, where);
  t->preTokenizer_ = makePreTokenizer(j.value("pre_tokenizer", nlohmann::json()), where);
  t->decoder_ = makeDecoder(j.value("decoder", nlohmann::json()), where);
  t->postProcessor_ = makePostProcessor(j.value("post_processor", nlohmann::json()), where);

  const auto added = j.value("added_tokens", nlohmann::json::array());
  check(added.is_array(), where + ": added_tokens must be an array");
  for (size_t i = 0; i < added.size(); ++i) {
    const auto& a = added[i];
    const std::string at = where + ": added_tokens[" + std::to_string(i) + "]";
    check(a.is_object() && a.contains("content") && a["content"].is_string(), at + ": needs a string 'content'");
    check(a.contains("id") && a["id"].is_number_integer() && a["id"].get<int64_t>() >= 0 && a["id"].get<int64_t>() < (int64_t(1) << 31),
          at + " ('" + a["content"].get<std::string>() + "'): needs a non-negative integer 'id'");
    AddedToken tok;
    tok.content = a["content"].get<std::string>();
    checkUtf8(tok.content, at + " content");
    if (tok.content.empty()) continue;  // as the library (a repeated content is skipped by AddedVocabulary::add)
    // The library gives an added token the model's id for the same string, else the next id
    // after the model's vocabulary and the added tokens so far; the file's id is only checked.
    // Files the library wrote agree; a file whose ids disagree is read as the library reads it.
    const int64_t modelId = t->model_->tokenToId(tok.content);
    if (modelId >= 0) tok.id = modelId;
    else tok.id = t->added_.maxId() >= t->model_->entryCount() ? t->added_.maxId() + 1 : t->model_->entryCount();
    tok.special = a.value("special", false);
    tok.singleWord = a.value("single_word", false);
    tok.lstrip = a.value("lstrip", false);
    tok.rstrip = a.value("rstrip", false);
    tok.normalized = a.value("normalized", !tok.special);
    t->added_.add(tok);
  }
  t->added_.build(t->normalizer_);
  return t;
}

std::unique_ptr<HfTokenizer> HfTokenizer::fromVocabAndMerges(const std::filesystem::path& vocabJson, const std::filesystem::path& mergesTxt) {
  std::istringstream in(readTextFile(mergesTxt));
  std::vector<std::pair<std::string, std::string>> merges;
  std::string line;
  size_t lineNo = 0;
  while (std::getline(in, line)) {
    ++lineNo;
    if (!line.empty() && line.back() == '\r') line.pop_back();
    if (line.empty() || (lineNo == 1 && line.rfind("#version", 0) == 0)) continue;
    const auto sp = line.find(' ', 1);
    check(sp != std::string::npos, mergesTxt.string() + ":" + std::to_string(lineNo) + ": expected two tokens separated by a space");
    merges.emplace_back(line.substr(0, sp), line.substr(sp + 1));
  }
  std::unique_ptr<HfTokenizer> t(new HfTokenizer());
  t->model_ = makeBpeModel(readJsonFile(vocabJson), merges, vocabJson.string() + " + " + mergesTxt.filename().string());
  t->preTokenizer_ = makePreTokenizer({{"type", "ByteLevel"}, {"add_prefix_space", false}}, vocabJson.string());
  t->decoder_ = makeDecoder({{"type", "ByteLevel"}}, vocabJson.string());
  t->postProcessor_ = [](std::vector<int64_t> ids) { return ids; };
  t->added_.build(t->normalizer_);
  return t;
}

void HfTokenizer::encodePiece(const std::string& text, bool atTextStart, std::vector<int64_t>& out) const {
  if (text.empty()) return;
  for (const auto& p : preTokenizer_->apply({PreToken{text, atTextStart}}))
    if (!p.text.empty()) model_->tokenize(p.text, out);
}

std::vector<int64_t> HfTokenizer::encode(const std::string& text) const {
  checkUtf8(text, "text to encode");
  std::vector<int64_t> out;
  const bool rawTokens = added_.hasTokens(false), normalizedTokens = added_.hasTokens(true);
  const std::vector<TextSplit> splits = rawTokens ? added_.split(text, false) : std::vector<TextSplit>{{0, text.size(), -1}};
  for (const auto& s : splits) {
    if (s.id >= 0) {
      out.push_back(s.id);
      continue;
    }
    const std::string segment = text.substr(s.begin, s.end - s.begin);
    const std::string normalized = normalizer_ ? normalizer_(segment) : segment;
    if (!normalizedTokens) {
      encodePiece(normalized, s.begin == 0, out);
      continue;
    }
    for (const auto& n : added_.split(normalized, true)) {
      if (n.id >= 0) out.push_back(n.id);
      else encodePiece(normalized.substr(n.begin, n.end - n.begin), s.begin == 0 && n.begin == 0, out);
    }
  }
  return out;
}

std::string HfTokenizer::decode(const std::vector<int64_t>& ids, bool skipSpecialTokens) const {
  std::vector<std::string> tokens;
  tokens.reserve(ids.size());
  for (int64_t id : ids) {
    // Ids the tokenizer does not know (a model's padded vocabulary) decode to nothing, as in the
    // tokenizers library.
    const std::string* s = nullptr;
    if (const AddedToken* a = added_.byId(id)) s = &a->tokenString;
    else s = model_->idToToken(id);
    if (!s || (skipSpecialTokens && added_.isSpecialString(*s))) continue;
    tokens.push_back(*s);
  }
  std::string out;
  if (decoder_) {
    for (const auto& piece : decoder_(std::move(tokens))) out += piece;
  } else {
    for (size_t i = 0; i < tokens.size(); ++i) out += (i ? " " : "") + tokens[i];
  }
  return utf8Lossy(out);
}

int64_t HfTokenizer::vocabSize() const { return std::max(model_->size(), added_.maxId() + 1); }

std::string HfTokenizer::idToToken(int64_t id) const {
  check(id >= 0 && id < vocabSize(), "token id " + std::to_string(id) + " is outside the vocabulary [0, " + std::to_string(vocabSize()) + ")");
  if (const AddedToken* a = added_.byId(id)) return a->tokenString;
  const std::string* s = model_->idToToken(id);
  return s ? *s : std::string();
}

int64_t HfTokenizer::tokenToId(const std::string& token) const {
  if (const AddedToken* a = added_.byContent(token)) return a->id;
  return model_->tokenToId(token);
}

}  // namespace gt
