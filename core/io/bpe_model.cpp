// Byte-pair encoding as tokenizers' BPE model runs it (models/bpe/model.rs, word.rs): each
// character becomes a symbol (its vocabulary id, else its bytes' <0xXX> tokens with byte_fallback,
// else the unknown token, fused when fuse_unk), then the adjacent pair of lowest merge rank is
// merged, the leftmost one first, one at a time, from a priority queue: O(n log n) in the word.
#include <mutex>
#include <queue>
#include <unordered_map>

#include "core/io/tokenizer_model.h"
#include "core/io/unicode_text.h"
#include "core/io/vocab_table.h"
#include "core/util/error.h"

namespace gt {
namespace {

// (left id, right id) -> (rank, merged id) in one open-addressing table: a lookup is one probe
// into a flat array, where a node-based std::unordered_map chases two pointers (the merge loop
// does little else).
class MergeTable {
 public:
  struct Entry {
    uint64_t key = kEmpty;
    int32_t rank = 0;
    int32_t merged = 0;
  };
  static constexpr uint64_t kEmpty = ~uint64_t(0);

  void reserve(size_t n) {
    size_t cap = 16;
    while (cap < n * 2) cap <<= 1;
    rehash(cap);
  }
  void set(uint64_t key, int32_t rank, int32_t merged) {
    if ((size_ + 1) * 2 > slots_.size()) rehash(slots_.empty() ? 16 : slots_.size() * 2);
    Entry& e = slot(key);
    if (e.key == kEmpty) ++size_;
    e = {key, rank, merged};
  }
  const Entry* find(uint64_t key) const {
    if (slots_.empty()) return nullptr;
    const Entry& e = const_cast<MergeTable*>(this)->slot(key);
    return e.key == kEmpty ? nullptr : &e;
  }

 private:
  Entry& slot(uint64_t key) {
    size_t i = size_t((key * 0x9E3779B97F4A7C15ULL) >> shift_);  // the product's top bits mix both ids
    while (slots_[i].key != kEmpty && slots_[i].key != key) i = (i + 1) & (slots_.size() - 1);
    return slots_[i];
  }
  void rehash(size_t cap) {
    std::vector<Entry> old;
    old.swap(slots_);
    slots_.assign(cap, Entry{});
    shift_ = 64;
    for (size_t c = cap; c > 1; c >>= 1) --shift_;
    size_ = 0;
    for (const auto& e : old)
      if (e.key != kEmpty) set(e.key, e.rank, e.merged);
  }
  std::vector<Entry> slots_;
  size_t size_ = 0;
  int shift_ = 64;
};

class BpeModel : public VocabModel {
 public:
  MergeTable merges;
  // Ids of one-character tokens, looked up by code point (ASCII by index) when no prefix/suffix applies.
  std::vector<int32_t> asciiIds;
  std::unordered_map<char32_t, int32_t> charIds;
  std::string prefix, suffix;
  int64_t unkId = -1;
  bool fuseUnk = false, byteFallback = false, ignoreMerges = false;

  static uint64_t pairKey(int64_t a, int64_t b) { return (uint64_t(a) << 32) | uint64_t(b); }

  void buildCharTables() {
    asciiIds.assign(128, -1);
    for (int c = 0; c < 128; ++c) asciiIds[size_t(c)] = int32_t(vocab.find(std::string(1, char(c))));
    for (const auto& [token, id] : vocab.ids) {
      char32_t cp = 0;
      if (!token.empty() && size_t(utf8Next(token, 0, cp)) == token.size() && cp >= 128) charIds[cp] = int32_t(id);
    }
  }

  void addMerge(const std::string& a, const std::string& b, int32_t rank, const std::string& where) {
    const int64_t ia = vocab.find(a), ib = vocab.find(b);
    // The merged token drops the right part's continuing-subword prefix (as the library does).
    const std::string merged = a + (b.size() >= prefix.size() ? b.substr(prefix.size()) : std::string());
    const int64_t im = vocab.find(merged);
    check(ia >= 0 && ib >= 0 && im >= 0, where + ": merge '" + a + " " + b + "' uses tokens missing from the vocabulary");
    merges.set(pairKey(ia, ib), rank, int32_t(im));  // a repeated pair keeps its last rank, as in the library
  }

  void tokenize(const std::string& word, std::vector<int64_t>& out) const override {
    if (ignoreMerges) {
      const int64_t id = vocab.find(word);
      if (id >= 0) {
        out.push_back(id);
        return;
      }
    }
    const bool cacheable = word.size() < 256;
    if (cacheable) {
      std::lock_guard<std::mutex> lock(cacheMutex_);
      auto it = cache_.find(word);
      if (it != cache_.end()) {
        out.insert(out.end(), it->second.begin(), it->second.end());
        return;
      }
    }
    std::vector<int64_t> ids = mergeWord(word);
    out.insert(out.end(), ids.begin(), ids.end());
    if (cacheable) {
      std::lock_guard<std::mutex> lock(cacheMutex_);
      if (cache_.size() >= 10000) cache_.clear();
      cache_.emplace(word, std::move(ids));
    }
  }


 private:
  struct Symbol {
    int64_t id;
    int32_t prev, next;
    bool removed;
  };
  struct Candidate {
    int32_t rank;
    int32_t pos;
    int32_t merged;
    bool operator<(const Candidate& o) const { return rank != o.rank ? rank > o.rank : pos > o.pos; }  // top = lowest rank, leftmost
  };

  std::vector<int64_t> initialSymbols(const std::string& word) const {
    std::vector<int64_t> ids;
    int64_t pendingUnk = -1;  // fused unknown run waiting to be appended
    size_t i = 0;
    while (i < word.size()) {
      char32_t cp = 0;
      const size_t len = size_t(utf8Next(word, i, cp));
      const bool plain = (i == 0 || prefix.empty()) && (i + len < word.size() || suffix.empty());
      std::string s = word.substr(i, len);
      if (i > 0 && !prefix.empty()) s = prefix + s;
      i += len;
      if (i >= word.size() && !suffix.empty()) s += suffix;
      int64_t id = -1;
      if (!plain) {
        id = vocab.find(s);
      } else if (cp < 128) {
        id = asciiIds[cp];
      } else {
        auto it = charIds.find(cp);
        if (it != charIds.end()) id = it->second;
      }
      if (id >= 0) {
        if (pendingUnk >= 0) ids.push_back(pendingUnk), pendingUnk = -1;
        ids.push_back(id);
        continue;
      }
      if (byteFallback && appendByteTokens(vocab, s, ids)) continue;
      if (unkId >= 0) {
        if (pendingUnk >= 0 && !fuseUnk) ids.push_back(pendingUnk);
        pendingUnk = unkId;
      }
    }
    if (pendingUnk >= 0) ids.push_back(pendingUnk);
    return ids;
  }

  std::vector<int64_t> mergeWord(const std::string& word) const {
    const std::vector<int64_t> initial = initialSymbols(word);
    std::vector<Symbol> sym(initial.size());
    for (size_t k = 0; k < initial.size(); ++k) sym[k] = {initial[k], int32_t(k) - 1, int32_t(k + 1), false};
    std::priority_queue<Candidate> queue;
    auto push = [&](int32_t pos) {
      const int32_t next = sym[size_t(pos)].next;
      if (next >= int32_t(sym.size())) return;
      if (const auto* m = merges.find(pairKey(sym[size_t(pos)].id, sym[size_t(next)].id))) queue.push({m->rank, pos, m->merged});
    };
    for (int32_t k = 0; k + 1 < int32_t(sym.size()); ++k) push(k);
    while (!queue.empty()) {
      const Candidate top = queue.top();
      queue.pop();
      Symbol& left = sym[size_t(top.pos)];
      if (left.removed || left.next >= int32_t(sym.size())) continue;
      Symbol& right = sym[size_t(left.next)];
      const auto* m = merges.find(pairKey(left.id, right.id));
      if (!m || m->merged != top.merged) continue;  // a stale entry
      left.id = top.merged;
      right.removed = true;
      left.next = right.next;
      if (right.next < int32_t(sym.size())) sym[size_t(right.next)].prev = top.pos;
      if (left.prev >= 0) push(left.prev);
      push(top.pos);
    }
    std::vector<int64_t> ids;
    for (const auto& s : sym)
      if (!s.removed) ids.push_back(s.id);
    return ids;
  }

  mutable std::mutex cacheMutex_;
  mutable std::unordered_map<std::string, std::vector<int64_t>> cache_;
};

void readVocabObject(VocabTable& vocab, const nlohmann::json& v, const std::string& where) {
  check(v.is_object(), where + ": model.vocab must be an object {token: id}");
  for (auto it = v.begin(); it != v.end(); ++it) {
    check(it.value().is_number_integer() && it.value().get<int64_t>() >= 0 && it.value().get<int64_t>() < (int64_t(1) << 31),
          where + ": vocab entry '" + it.key() + "' must map to a non-negative integer id");
    vocab.add(it.key(), it.value().get<int64_t>());
  }
}

}  // namespace

std::unique_ptr<TokenizerModel> makeBpeModel(const nlohmann::json& model, const std::string& where) {
  auto m = std::make_unique<BpeModel>();
  check(model.contains("vocab"), where + ": missing 'model.vocab'");
  readVocabObject(m->vocab, model["vocab"], where);
  auto optionalString = [&](const char* key) {
    if (!model.contains(key) || model[key].is_null()) return std::string();
    check(model[key].is_string(), where + ": model." + key + " must be a string or null");
    return model[key].get<std::string>();
  };
  m->prefix = optionalString("continuing_subword_prefix");
  m->suffix = optionalString("end_of_word_suffix");
  m->fuseUnk = model.value("fuse_unk", false);
  m->byteFallback = model.value("byte_fallback", false);
  m->ignoreMerges = model.value("ignore_merges", false);
  const std::string unk = optionalString("unk_token");
  if (!unk.empty()) {
    m->unkId = m->vocab.find(unk);
    check(m->unkId >= 0, where + ": model.unk_token '" + unk + "' is not in the vocabulary");
  }
  const auto merges = model.value("merges", nlohmann::json::array());
  check(merges.is_array(), where + ": model.merges must be an array");
  m->merges.reserve(merges.size());
  m->buildCharTables();
  int32_t rank = 0;
  for (const auto& mg : merges) {
    if (mg.is_string()) {  // "a b"
      const std::string s = mg.get<std::string>();
      const auto sp = s.find(' ', 1);
      check(sp != std::string::npos, where + ": merge '" + s + "' must be two tokens separated by a space");
      m->addMerge(s.substr(0, sp), s.substr(sp + 1), rank++, where);
    } else {
      check(mg.is_array() && mg.size() == 2 && mg[0].is_string() && mg[1].is_string(), where + ": each merge must be \"a b\" or [\"a\", \"b\"]");
      m->addMerge(mg[0].get<std::string>(), mg[1].get<std::string>(), rank++, where);
    }
  }
  return m;
}

std::unique_ptr<TokenizerModel> makeBpeModel(const nlohmann::json& vocab, const std::vector<std::pair<std::string, std::string>>& merges,
                                             const std::string& where) {
  auto m = std::make_unique<BpeModel>();
  readVocabObject(m->vocab, vocab, where);
  m->merges.reserve(merges.size());
  m->buildCharTables();
  int32_t rank = 0;
  for (const auto& [a, b] : merges) m->addMerge(a, b, rank++, where);
  return m;
}

}  // namespace gt
