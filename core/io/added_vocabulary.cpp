#include "core/io/added_vocabulary.h"

#include <algorithm>

#include "core/io/unicode_text.h"

namespace gt {
namespace {

bool isWordChar(char32_t cp) { return cp == '_' || isUnicodeAlphanumeric(cp); }

bool endsWithWordChar(const std::string& text, size_t end) {
  if (end == 0) return false;
  size_t b = end - 1;
  while (b > 0 && (static_cast<unsigned char>(text[b]) & 0xC0) == 0x80) --b;
  char32_t cp = 0;
  utf8Next(text, b, cp);
  return isWordChar(cp);
}

bool startsWithWordChar(const std::string& text, size_t begin) {
  if (begin >= text.size()) return false;
  char32_t cp = 0;
  utf8Next(text, begin, cp);
  return isWordChar(cp);
}

}  // namespace

void AddedVocabulary::add(const AddedToken& token) {
  if (byContent_.count(token.content)) return;  // a repeated content: the first entry stays
  byContent_[token.content] = tokens_.size();
  byId_[token.id] = tokens_.size();
  tokens_.push_back(token);
  tokens_.back().tokenString = token.content;
  if (token.special) specialContents_.insert(token.content);
  maxId_ = std::max(maxId_, token.id);
}

void AddedVocabulary::build(const Normalizer& normalizer) {
  rawTrie_ = ByteTrie();
  normalizedTrie_ = ByteTrie();
  for (size_t i = 0; i < tokens_.size(); ++i) {
    auto& t = tokens_[i];
    if (t.content.empty()) continue;
    if (t.normalized) {
      const std::string key = normalizer ? normalizer(t.content) : t.content;
      t.tokenString = key;
      if (!key.empty()) normalizedTrie_.insert(key, int64_t(i));
    } else {
      rawTrie_.insert(t.content, int64_t(i));
    }
  }
}

std::vector<TextSplit> AddedVocabulary::split(const std::string& text, bool normalizedTokens) const {
  const ByteTrie& trie = normalizedTokens ? normalizedTrie_ : rawTrie_;
  std::vector<TextSplit> out;
  size_t done = 0;  // text before this offset is already in `out`
  size_t i = 0;
  while (i < text.size()) {
    size_t matchLen = 0;
    int64_t index = -1;
    trie.forEachPrefix(text, i, [&](size_t len, int64_t value) {
      matchLen = len;  // shortest first: the last call is the longest
      index = value;
    });
    if (index < 0) {
      ++i;
      continue;
    }
    const AddedToken& tok = tokens_[size_t(index)];
    size_t start = i, stop = i + matchLen;
    i = stop;  // a match that is then rejected still consumes its text, as in the library
    if (tok.singleWord && (endsWithWordChar(text, start) || startsWithWordChar(text, stop))) continue;
    if (tok.lstrip) start = std::max(trailingWhitespaceStart(text, done, start), done);
    if (tok.rstrip) stop += leadingWhitespaceBytes(text, stop, text.size());
    if (done < start) out.push_back({done, start, -1});
    out.push_back({start, stop, tok.id});
    done = stop;
    i = std::max(i, stop);
  }
  if (done < text.size()) out.push_back({done, text.size(), -1});
  return out;
}

const AddedToken* AddedVocabulary::byId(int64_t id) const {
  auto it = byId_.find(id);
  return it == byId_.end() ? nullptr : &tokens_[it->second];
}

const AddedToken* AddedVocabulary::byContent(const std::string& content) const {
  auto it = byContent_.find(content);
  return it == byContent_.end() ? nullptr : &tokens_[it->second];
}

}  // namespace gt
