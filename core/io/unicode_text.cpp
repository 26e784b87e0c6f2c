#include "core/io/unicode_text.h"

#include <utf8proc.h>

#include <initializer_list>

#include "core/util/error.h"

namespace gt {

void checkUtf8(const std::string& text, const std::string& what) {
  const auto* p = reinterpret_cast<const unsigned char*>(text.data());
  const size_t n = text.size();
  size_t i = 0;
  while (i < n) {
    const unsigned char c = p[i];
    if (c < 0x80) {
      ++i;
      continue;
    }
    int len = 0;
    char32_t cp = 0, min = 0;
    if ((c & 0xE0) == 0xC0) len = 2, cp = c & 0x1F, min = 0x80;
    else if ((c & 0xF0) == 0xE0) len = 3, cp = c & 0x0F, min = 0x800;
    else if ((c & 0xF8) == 0xF0) len = 4, cp = c & 0x07, min = 0x10000;
    bool ok = len > 0 && i + size_t(len) <= n;
    for (int k = 1; ok && k < len; ++k) {
      ok = (p[i + size_t(k)] & 0xC0) == 0x80;
      cp = (cp << 6) | (p[i + size_t(k)] & 0x3F);
    }
    ok = ok && cp >= min && cp <= 0x10FFFF && !(cp >= 0xD800 && cp <= 0xDFFF);
    if (!ok) throw Error(what + ": not valid UTF-8 at byte " + std::to_string(i));
    i += size_t(len);
  }
}

int utf8Next(const std::string& text, size_t pos, char32_t& cp) {
  const auto c = static_cast<unsigned char>(text[pos]);
  int len = c < 0x80 ? 1 : (c & 0xE0) == 0xC0 ? 2 : (c & 0xF0) == 0xE0 ? 3 : 4;
  if (pos + size_t(len) > text.size()) len = int(text.size() - pos);
  cp = len == 1 ? c : c & (0xFF >> (len + 1));
  for (int k = 1; k < len; ++k) cp = (cp << 6) | (static_cast<unsigned char>(text[pos + size_t(k)]) & 0x3F);
  return len;
}

void appendUtf8(std::string& out, char32_t cp) {
  utf8proc_uint8_t buf[4];
  const auto n = utf8proc_encode_char(utf8proc_int32_t(cp), buf);
  out.append(reinterpret_cast<char*>(buf), size_t(n));
}

bool isUnicodeWhitespace(char32_t c) {
  return (c >= 0x09 && c <= 0x0D) || c == 0x20 || c == 0x85 || c == 0xA0 || c == 0x1680 || (c >= 0x2000 && c <= 0x200A) ||
         c == 0x2028 || c == 0x2029 || c == 0x202F || c == 0x205F || c == 0x3000;
}

namespace {

bool inCategories(char32_t cp, std::initializer_list<utf8proc_category_t> categories) {
  const auto c = utf8proc_category(utf8proc_int32_t(cp));
  for (auto k : categories)
    if (c == k) return true;
  return false;
}

}  // namespace

bool isUnicodeAlphanumeric(char32_t cp) {
  return inCategories(cp, {UTF8PROC_CATEGORY_LU, UTF8PROC_CATEGORY_LL, UTF8PROC_CATEGORY_LT, UTF8PROC_CATEGORY_LM, UTF8PROC_CATEGORY_LO,
                           UTF8PROC_CATEGORY_ND, UTF8PROC_CATEGORY_NL, UTF8PROC_CATEGORY_NO});
}

bool isUnicodeNumeric(char32_t cp) { return inCategories(cp, {UTF8PROC_CATEGORY_ND, UTF8PROC_CATEGORY_NL, UTF8PROC_CATEGORY_NO}); }

bool isUnicodePunctuation(char32_t cp) {
  if (cp < 0x80) return (cp >= 0x21 && cp <= 0x2F) || (cp >= 0x3A && cp <= 0x40) || (cp >= 0x5B && cp <= 0x60) || (cp >= 0x7B && cp <= 0x7E);
  return inCategories(cp, {UTF8PROC_CATEGORY_PC, UTF8PROC_CATEGORY_PD, UTF8PROC_CATEGORY_PS, UTF8PROC_CATEGORY_PE, UTF8PROC_CATEGORY_PI,
                           UTF8PROC_CATEGORY_PF, UTF8PROC_CATEGORY_PO});
}

bool isCombiningMark(char32_t cp) { return inCategories(cp, {UTF8PROC_CATEGORY_MN, UTF8PROC_CATEGORY_MC, UTF8PROC_CATEGORY_ME}); }

std::string replaceLiteral(const std::string& s, const std::string& from, const std::string& to) {
  if (from.empty()) return s;
  std::string out;
  size_t pos = 0, hit;
  while ((hit = s.find(from, pos)) != std::string::npos) {
    out.append(s, pos, hit - pos);
    out += to;
    pos = hit + from.size();
  }
  out.append(s, pos, std::string::npos);
  return out;
}

size_t leadingWhitespaceBytes(const std::string& text, size_t begin, size_t end) {
  size_t i = begin;
  while (i < end) {
    char32_t cp = 0;
    const int len = utf8Next(text, i, cp);
    if (!isUnicodeWhitespace(cp)) break;
    i += size_t(len);
  }
  return i - begin;
}

size_t trailingWhitespaceStart(const std::string& text, size_t begin, size_t end) {
  size_t i = end;
  while (i > begin) {
    size_t b = i - 1;
    while (b > begin && (static_cast<unsigned char>(text[b]) & 0xC0) == 0x80) --b;
    char32_t cp = 0;
    utf8Next(text, b, cp);
    if (!isUnicodeWhitespace(cp)) break;
    i = b;
  }
  return i;
}

}  // namespace gt
