#include "core/io/byte_level.h"

#include <array>
#include <unordered_map>

namespace gt {
namespace {

std::string encodeCodePoint(uint32_t cp) {
  std::string out;
  if (cp < 0x80) {
    out.push_back(char(cp));
  } else if (cp < 0x800) {
    out.push_back(char(0xC0 | (cp >> 6)));
    out.push_back(char(0x80 | (cp & 0x3F)));
  } else if (cp < 0x10000) {
    out.push_back(char(0xE0 | (cp >> 12)));
    out.push_back(char(0x80 | ((cp >> 6) & 0x3F)));
    out.push_back(char(0x80 | (cp & 0x3F)));
  } else {
    out.push_back(char(0xF0 | (cp >> 18)));
    out.push_back(char(0x80 | ((cp >> 12) & 0x3F)));
    out.push_back(char(0x80 | ((cp >> 6) & 0x3F)));
    out.push_back(char(0x80 | (cp & 0x3F)));
  }
  return out;
}

// Length of the valid UTF-8 sequence starting at s[i], or 0 if invalid.
size_t validUtf8Length(const std::string& s, size_t i) {
  const auto c = static_cast<unsigned char>(s[i]);
  size_t n = c < 0x80 ? 1 : (c >> 5) == 0x6 ? 2 : (c >> 4) == 0xE ? 3 : (c >> 3) == 0x1E ? 4 : 0;
  if (n == 0 || i + n > s.size()) return 0;
  uint32_t cp = n == 1 ? c : n == 2 ? (c & 0x1F) : n == 3 ? (c & 0x0F) : (c & 0x07);
  for (size_t k = 1; k < n; ++k) {
    const auto cc = static_cast<unsigned char>(s[i + k]);
    if ((cc & 0xC0) != 0x80) return 0;
    cp = (cp << 6) | (cc & 0x3F);
  }
  // Reject overlong forms, surrogates and out-of-range code points.
  if ((n == 2 && cp < 0x80) || (n == 3 && cp < 0x800) || (n == 4 && (cp < 0x10000 || cp > 0x10FFFF)) ||
      (cp >= 0xD800 && cp <= 0xDFFF))
    return 0;
  return n;
}

struct Tables {
  std::array<std::string, 256> byteToChar;
  std::unordered_map<std::string, unsigned char> charToByte;
  Tables() {
    int n = 0;
    for (int b = 0; b < 256; ++b) {
      const bool printable = (b >= '!' && b <= '~') || (b >= 0xA1 && b <= 0xAC) || (b >= 0xAE && b <= 0xFF);
      const uint32_t cp = printable ? uint32_t(b) : uint32_t(256 + n++);
      byteToChar[b] = encodeCodePoint(cp);
      charToByte[byteToChar[b]] = static_cast<unsigned char>(b);
    }
  }
};

const Tables& tables() {
  static const Tables t;
  return t;
}

}  // namespace

std::string byteLevelEncode(const std::string& text) {
  std::string out;
  out.reserve(text.size() * 2);
  for (unsigned char b : text) out += tables().byteToChar[b];
  return out;
}

std::vector<std::string> utf8Chars(const std::string& text) {
  std::vector<std::string> chars;
  for (size_t i = 0; i < text.size();) {
    size_t n = validUtf8Length(text, i);
    if (n == 0) n = 1;
    chars.push_back(text.substr(i, n));
    i += n;
  }
  return chars;
}

std::string byteLevelDecode(const std::string& mapped) {
  std::string out;
  for (const auto& ch : utf8Chars(mapped)) {
    auto it = tables().charToByte.find(ch);
    if (it != tables().charToByte.end()) out.push_back(char(it->second));
    else out += ch;
  }
  return out;
}

std::string utf8Lossy(const std::string& bytes) {
  // Each maximal invalid subpart becomes one U+FFFD, as Rust's String::from_utf8_lossy does.
  std::string out;
  for (size_t i = 0; i < bytes.size();) {
    const size_t n = validUtf8Length(bytes, i);
    if (n > 0) {
      out.append(bytes, i, n);
      i += n;
      continue;
    }
    const auto c = static_cast<unsigned char>(bytes[i]);
    size_t expected = (c >= 0xC2 && c <= 0xDF) ? 2 : (c >= 0xE0 && c <= 0xEF) ? 3 : (c >= 0xF0 && c <= 0xF4) ? 4 : 1;
    size_t k = 1;
    while (k < expected && i + k < bytes.size()) {
      const auto cc = static_cast<unsigned char>(bytes[i + k]);
      unsigned char lo = 0x80, hi = 0xBF;
      if (k == 1) {
        if (c == 0xE0) lo = 0xA0;
        if (c == 0xED) hi = 0x9F;
        if (c == 0xF0) lo = 0x90;
        if (c == 0xF4) hi = 0x8F;
      }
      if (cc < lo || cc > hi) break;
      ++k;
    }
    out += "\xEF\xBF\xBD";
    i += k;
  }
  return out;
}

}  // namespace gt
