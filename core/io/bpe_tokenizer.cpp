#include "core/io/bpe_tokenizer.h"

#include <algorithm>
#include <cstdio>
#include <fstream>
#include <limits>
#include <sstream>

#include "core/io/byte_level.h"
#include "core/util/error.h"
#include "core/util/json_file.h"

namespace gt {
namespace {

std::string mergeKey(const std::string& a, const std::string& b) {
  std::string k = a;
  k.push_back('\0');
  k += b;
  return k;
}

bool isSpaceByte(char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\v' || c == '\f'; }

}  // namespace

void BpeTokenizer::setVocab(const nlohmann::json& vocab, const std::string& where) {
  check(vocab.is_object(), where + ": model.vocab must be an object {token: id}");
  int64_t maxId = -1;
  for (auto it = vocab.begin(); it != vocab.end(); ++it) {
    check(it.value().is_number_integer() && it.value().get<int64_t>() >= 0,
          where + ": vocab entry '" + it.key() + "' must map to a non-negative integer id");
    maxId = std::max(maxId, it.value().get<int64_t>());
  }
  idToToken_.assign(size_t(maxId + 1), "");
  for (auto it = vocab.begin(); it != vocab.end(); ++it) {
    const int64_t id = it.value().get<int64_t>();
    tokenToId_[it.key()] = id;
    idToToken_[size_t(id)] = it.key();
  }
}

void BpeTokenizer::addMerge(const std::string& a, const std::string& b, const std::string& where) {
  check(tokenToId_.count(a) && tokenToId_.count(b) && tokenToId_.count(a + b),
        where + ": merge '" + a + " " + b + "' uses tokens missing from the vocabulary");
  mergeRank_.emplace(mergeKey(a, b), int(mergeRank_.size()));
}

std::unique_ptr<BpeTokenizer> BpeTokenizer::fromTokenizerJson(const std::filesystem::path& path) {
  const std::string where = path.string();
  const auto j = readJsonFile(path);
  check(j.is_object() && j.contains("model") && j["model"].is_object(), where + ": missing object 'model'");
  const auto& model = j["model"];
  const std::string type = model.value("type", "BPE");
  check(type == "BPE", where + ": model.type '" + type + "' is not supported (expected BPE)");
  for (const char* key : {"continuing_subword_prefix", "end_of_word_suffix"})
    check(!model.contains(key) || model[key].is_null() || model[key].get<std::string>().empty(),
          where + ": model." + key + " is not supported");
  std::unique_ptr<BpeTokenizer> t(new BpeTokenizer());
  check(model.contains("vocab"), where + ": missing 'model.vocab'");
  t->setVocab(model["vocab"], where);
  for (const auto& m : model.value("merges", nlohmann::json::array())) {
    if (m.is_string()) {  // "a b"
      const std::string s = m.get<std::string>();
      const auto sp = s.find(' ', 1);
      check(sp != std::string::npos, where + ": merge '" + s + "' must be two tokens separated by a space");
      t->addMerge(s.substr(0, sp), s.substr(sp + 1), where);
    } else {
      check(m.is_array() && m.size() == 2, where + ": each merge must be \"a b\" or [\"a\", \"b\"]");
      t->addMerge(m[0].get<std::string>(), m[1].get<std::string>(), where);
    }
  }
  t->ignoreMerges_ = model.value("ignore_merges", false);
  t->byteFallback_ = model.value("byte_fallback", false);
  if (model.contains("unk_token") && model["unk_token"].is_string()) t->unkId_ = t->tokenToId(model["unk_token"].get<std::string>());

  for (const auto& a : j.value("added_tokens", nlohmann::json::array())) {
    AddedToken tok{a.at("content").get<std::string>(), a.at("id").get<int64_t>(), a.value("special", false),
                   a.value("lstrip", false), a.value("rstrip", false)};
    check(tok.id >= 0, where + ": added token '" + tok.content + "' has a negative id");
    if (size_t(tok.id) >= t->idToToken_.size()) t->idToToken_.resize(size_t(tok.id) + 1);
    t->idToToken_[size_t(tok.id)] = tok.content;
    t->tokenToId_[tok.content] = tok.id;
    t->addedById_[tok.id] = t->added_.size();
    t->added_.push_back(tok);
  }
  std::stable_sort(t->added_.begin(), t->added_.end(), [](const auto& x, const auto& y) { return x.content.size() > y.content.size(); });
  for (size_t i = 0; i < t->added_.size(); ++i) t->addedById_[t->added_[i].id] = i;

  t->normalizer_ = makeNormalizer(j.value("normalizer", nlohmann::json()), where);
  t->preTokenizer_ = makePreTokenizer(j.value("pre_tokenizer", nlohmann::json()), where);
  const auto decoder = j.value("decoder", nlohmann::json());
  if (!decoder.is_null()) {
    const std::string dtype = decoder.value("type", "");
    check(dtype == "ByteLevel", where + ": decoder type '" + dtype + "' is not supported (expected ByteLevel)");
  }
  t->byteLevelDecoder_ = !decoder.is_null() || t->preTokenizer_->byteLevel();
  return t;
}

std::unique_ptr<BpeTokenizer> BpeTokenizer::fromVocabAndMerges(const std::filesystem::path& vocabJson, const std::filesystem::path& mergesTxt) {
  std::unique_ptr<BpeTokenizer> t(new BpeTokenizer());
  t->setVocab(readJsonFile(vocabJson), vocabJson.string());
  std::istringstream in(readTextFile(mergesTxt));
  std::string line;
  size_t lineNo = 0;
  while (std::getline(in, line)) {
    ++lineNo;
    if (!line.empty() && line.back() == '\r') line.pop_back();
    if (line.empty() || (lineNo == 1 && line.rfind("#version", 0) == 0)) continue;
    const auto sp = line.find(' ', 1);
    check(sp != std::string::npos, mergesTxt.string() + ":" + std::to_string(lineNo) + ": expected two tokens separated by a space");
    t->addMerge(line.substr(0, sp), line.substr(sp + 1), mergesTxt.string() + ":" + std::to_string(lineNo));
  }
  t->normalizer_ = makeNormalizer(nlohmann::json(), "");
  t->preTokenizer_ = makePreTokenizer({{"type", "ByteLevel"}, {"add_prefix_space", false}}, vocabJson.string());
  t->byteLevelDecoder_ = true;
  return t;
}

std::vector<int64_t> BpeTokenizer::encodeWord(const std::string& word) const {
  {
    std::lock_guard<std::mutex> lock(cacheMutex_);
    auto it = cache_.find(word);
    if (it != cache_.end()) return it->second;
  }
  std::vector<int64_t> ids;
  auto direct = tokenToId_.find(word);
  if (ignoreMerges_ && direct != tokenToId_.end()) {
    ids.push_back(direct->second);
  } else {
    // Repeatedly merge the adjacent pair with the lowest rank (all its occurrences, left to right).
    std::vector<std::string> symbols = utf8Chars(word);
    while (symbols.size() > 1) {
      int bestRank = std::numeric_limits<int>::max();
      for (size_t i = 0; i + 1 < symbols.size(); ++i) {
        auto it = mergeRank_.find(mergeKey(symbols[i], symbols[i + 1]));
        if (it != mergeRank_.end() && it->second < bestRank) bestRank = it->second;
      }
      if (bestRank == std::numeric_limits<int>::max()) break;
      std::vector<std::string> merged;
      for (size_t i = 0; i < symbols.size();) {
        if (i + 1 < symbols.size()) {
          auto it = mergeRank_.find(mergeKey(symbols[i], symbols[i + 1]));
          if (it != mergeRank_.end() && it->second == bestRank) {
            merged.push_back(symbols[i] + symbols[i + 1]);
            i += 2;
            continue;
          }
        }
        merged.push_back(symbols[i++]);
      }
      symbols = std::move(merged);
    }
    for (const auto& s : symbols) {
      auto it = tokenToId_.find(s);
      if (it != tokenToId_.end()) {
        ids.push_back(it->second);
      } else if (byteFallback_) {
        for (unsigned char b : s) {
          char name[8];
          std::snprintf(name, sizeof name, "<0x%02X>", b);
          auto bt = tokenToId_.find(name);
          if (bt != tokenToId_.end()) ids.push_back(bt->second);
          else if (unkId_ >= 0) ids.push_back(unkId_);
        }
      } else if (unkId_ >= 0) {
        ids.push_back(unkId_);
      }
    }
  }
  std::lock_guard<std::mutex> lock(cacheMutex_);
  if (cache_.size() > 100000) cache_.clear();
  cache_.emplace(word, ids);
  return ids;
}

void BpeTokenizer::encodeSegment(const std::string& text, std::vector<int64_t>& out) const {
  if (text.empty()) return;
  for (const auto& piece : preTokenizer_->apply({normalizer_(text)})) {
    auto ids = encodeWord(piece);
    out.insert(out.end(), ids.begin(), ids.end());
  }
}

std::vector<int64_t> BpeTokenizer::encode(const std::string& text) const {
  std::vector<int64_t> out;
  size_t segStart = 0, i = 0;
  std::string pending;
  while (i < text.size()) {
    const AddedToken* hit = nullptr;
    for (const auto& a : added_)
      if (!a.content.empty() && text.compare(i, a.content.size(), a.content) == 0) {
        hit = &a;  // added_ is sorted longest first: leftmost-longest
        break;
      }
    if (!hit) {
      ++i;
      continue;
    }
    size_t before = i;
    if (hit->lstrip)
      while (before > segStart && isSpaceByte(text[before - 1])) --before;
    encodeSegment(text.substr(segStart, before - segStart), out);
    out.push_back(hit->id);
    i += hit->content.size();
    if (hit->rstrip)
      while (i < text.size() && isSpaceByte(text[i])) ++i;
    segStart = i;
  }
  encodeSegment(text.substr(segStart), out);
  return out;
}

std::string BpeTokenizer::decode(const std::vector<int64_t>& ids, bool skipSpecialTokens) const {
  std::string out, run;
  auto flush = [&] {
    out += byteLevelDecoder_ ? byteLevelDecode(run) : run;
    run.clear();
  };
  for (int64_t id : ids) {
    // Ids the tokenizer does not know (a model's padded vocabulary) decode to nothing, as in the
    // tokenizers library.
    if (id < 0 || id >= vocabSize() || (idToToken_[size_t(id)].empty() && !addedById_.count(id))) continue;
    auto added = addedById_.find(id);
    if (added != addedById_.end()) {
      if (skipSpecialTokens && added_[added->second].special) continue;
      flush();
      out += added_[added->second].content;
      continue;
    }
    run += idToToken_[size_t(id)];
  }
  flush();
  return utf8Lossy(out);
}

std::string BpeTokenizer::idToToken(int64_t id) const {
  check(id >= 0 && id < vocabSize(), "token id " + std::to_string(id) + " is outside the vocabulary [0, " + std::to_string(vocabSize()) + ")");
  return idToToken_[size_t(id)];
}

int64_t BpeTokenizer::tokenToId(const std::string& token) const {
  auto it = tokenToId_.find(token);
  return it == tokenToId_.end() ? -1 : it->second;
}

}  // namespace gt
