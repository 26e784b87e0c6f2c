#include "core/io/precompiled_charsmap.h"

#include <utf8proc.h>

#include <cstring>

#include "core/io/unicode_text.h"
#include "core/util/error.h"

namespace gt {
namespace {

// Darts-clone unit layout.
bool hasLeaf(uint32_t u) { return (u >> 8) & 1; }
uint32_t unitValue(uint32_t u) { return u & ((1U << 31) - 1); }
uint32_t unitLabel(uint32_t u) { return u & ((1U << 31) | 0xFF); }
uint32_t unitOffset(uint32_t u) { return (u >> 10) << ((u & (1U << 9)) >> 6); }

}  // namespace

PrecompiledCharsMap::PrecompiledCharsMap(const std::string& blob, const std::string& where) {
  check(blob.size() >= 4, where + ": precompiled_charsmap is shorter than its 4-byte header");
  uint32_t trieBytes = 0;
  std::memcpy(&trieBytes, blob.data(), 4);  // little-endian, as written by SentencePiece
  check(trieBytes % 4 == 0 && size_t(trieBytes) <= blob.size() - 4 && trieBytes >= 4,
        where + ": precompiled_charsmap trie size " + std::to_string(trieBytes) + " does not fit its " + std::to_string(blob.size()) + " bytes");
  units_.resize(trieBytes / 4);
  std::memcpy(units_.data(), blob.data() + 4, trieBytes);
  normalized_ = blob.substr(4 + size_t(trieBytes));
}

const char* PrecompiledCharsMap::transform(const std::string& text, size_t begin, size_t end) const {
  size_t node = 0;
  node ^= unitOffset(units_[0]);
  for (size_t i = begin; i < end; ++i) {
    const auto c = static_cast<unsigned char>(text[i]);
    if (c == 0) break;
    node ^= c;
    if (node >= units_.size()) return nullptr;
    const uint32_t unit = units_[node];
    if (unitLabel(unit) != c) return nullptr;
    node ^= unitOffset(unit);
    if (node >= units_.size()) return nullptr;
    if (hasLeaf(unit)) {
      const uint32_t value = unitValue(units_[node]);
      return value < normalized_.size() ? normalized_.c_str() + value : nullptr;  // the first (shortest) match
    }
  }
  return nullptr;
}

std::string PrecompiledCharsMap::normalize(const std::string& text) const {
  std::string out;
  out.reserve(text.size());
  size_t i = 0;
  while (i < text.size()) {
    // One extended grapheme cluster [i, end).
    char32_t cp = 0;
    size_t end = i + size_t(utf8Next(text, i, cp));
    utf8proc_int32_t state = 0;
    char32_t prev = cp;
    while (end < text.size()) {
      char32_t next = 0;
      const int len = utf8Next(text, end, next);
      if (utf8proc_grapheme_break_stateful(utf8proc_int32_t(prev), utf8proc_int32_t(next), &state)) break;
      prev = next;
      end += size_t(len);
    }
    const char* whole = end - i < 6 ? transform(text, i, end) : nullptr;
    if (whole) {
      out += whole;
    } else {
      for (size_t k = i; k < end;) {
        char32_t c = 0;
        const size_t len = size_t(utf8Next(text, k, c));
        const char* part = transform(text, k, k + len);
        if (part) out += part;
        else out.append(text, k, len);
        k += len;
      }
    }
    i = end;
  }
  return out;
}

}  // namespace gt
