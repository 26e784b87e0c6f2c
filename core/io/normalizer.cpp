#include "core/io/normalizer.h"

#include <utf8proc.h>

#include <memory>
#include <vector>

#include "core/io/byte_level.h"
#include "core/io/regex.h"
#include "core/io/precompiled_charsmap.h"
#include "core/io/unicode_text.h"
#include "core/util/base64.h"
#include "core/util/error.h"

namespace gt {
namespace {

std::string unicodeMap(const std::string& s, int options) {
  utf8proc_uint8_t* out = nullptr;
  const auto n = utf8proc_map(reinterpret_cast<const utf8proc_uint8_t*>(s.data()), utf8proc_ssize_t(s.size()), &out,
                              utf8proc_option_t(options));
  if (n < 0) throw Error(std::string("normalizer: invalid UTF-8 input (") + utf8proc_errmsg(n) + ")");
  std::string result(reinterpret_cast<char*>(out), size_t(n));
  free(out);
  return result;
}

// Rewrites each code point; `f` appends what the code point becomes.
template <typename F>
std::string mapChars(const std::string& s, F&& f) {
  std::string out;
  out.reserve(s.size());
  for (size_t i = 0; i < s.size();) {
    char32_t cp = 0;
    const int len = utf8Next(s, i, cp);
    f(cp, out);
    i += size_t(len);
  }
  return out;
}

std::string lowercase(const std::string& s) {
  return mapChars(s, [](char32_t cp, std::string& out) {
    if (cp == 0x130) {  // 'İ' lower-cases to "i̇" (full case mapping, as Rust's to_lowercase)
      out += "i\xCC\x87";
      return;
    }
    appendUtf8(out, char32_t(utf8proc_tolower(utf8proc_int32_t(cp))));
  });
}

std::string stripAccents(const std::string& s) {
  return mapChars(s, [](char32_t cp, std::string& out) {
    if (!isCombiningMark(cp)) appendUtf8(out, cp);
  });
}

bool isChineseChar(char32_t c) {
  return (c >= 0x4E00 && c <= 0x9FFF) || (c >= 0x3400 && c <= 0x4DBF) || (c >= 0x20000 && c <= 0x2A6DF) || (c >= 0x2A700 && c <= 0x2B73F) ||
         (c >= 0x2B740 && c <= 0x2B81F) || (c >= 0x2B920 && c <= 0x2CEAF) || (c >= 0xF900 && c <= 0xFAFF) || (c >= 0x2F800 && c <= 0x2FA1F);
}

bool isOtherCategory(char32_t cp) {
  const auto c = utf8proc_category(utf8proc_int32_t(cp));
  return c == UTF8PROC_CATEGORY_CC || c == UTF8PROC_CATEGORY_CF || c == UTF8PROC_CATEGORY_CN || c == UTF8PROC_CATEGORY_CO;
}

Normalizer bertNormalizer(const nlohmann::json& spec) {
  const bool clean = spec.value("clean_text", true), chinese = spec.value("handle_chinese_chars", true);
  const bool lower = spec.value("lowercase", true);
  const bool strip = spec.contains("strip_accents") && spec["strip_accents"].is_boolean() ? spec["strip_accents"].get<bool>() : lower;
  return [=](const std::string& s) {
    std::string t = mapChars(s, [&](char32_t cp, std::string& out) {
      const bool ws = cp == '\t' || cp == '\n' || cp == '\r' || isUnicodeWhitespace(cp);
      if (clean && (cp == 0 || cp == 0xFFFD || (!ws && isOtherCategory(cp)))) return;
      if (clean && ws) cp = ' ';
      if (chinese && isChineseChar(cp)) {
        out.push_back(' ');
        appendUtf8(out, cp);
        out.push_back(' ');
        return;
      }
      appendUtf8(out, cp);
    });
    if (strip)  // NFD, then only non-spacing marks (Mn) go: unlike StripAccents, spacing marks (Mc) stay
      t = mapChars(unicodeMap(t, UTF8PROC_STABLE | UTF8PROC_DECOMPOSE), [](char32_t cp, std::string& out) {
        if (utf8proc_category(utf8proc_int32_t(cp)) != UTF8PROC_CATEGORY_MN) appendUtf8(out, cp);
      });
    if (lower) t = lowercase(t);
    return t;
  };
}

}  // namespace

Normalizer makeNormalizer(const nlohmann::json& spec, const std::string& where) {
  if (spec.is_null()) return [](const std::string& s) { return s; };
  check(spec.is_object() && spec.contains("type") && spec["type"].is_string(), where + ": normalizer must be an object with a 'type'");
  const std::string type = spec["type"].get<std::string>();
  if (type == "NFC") return [](const std::string& s) { return unicodeMap(s, UTF8PROC_STABLE | UTF8PROC_COMPOSE); };
  if (type == "NFD") return [](const std::string& s) { return unicodeMap(s, UTF8PROC_STABLE | UTF8PROC_DECOMPOSE); };
  if (type == "NFKC")
    return [](const std::string& s) { return unicodeMap(s, UTF8PROC_STABLE | UTF8PROC_COMPOSE | UTF8PROC_COMPAT); };
  if (type == "NFKD")
    return [](const std::string& s) { return unicodeMap(s, UTF8PROC_STABLE | UTF8PROC_DECOMPOSE | UTF8PROC_COMPAT); };
  if (type == "Lowercase") return lowercase;
  if (type == "StripAccents") return stripAccents;
  if (type == "Strip") {
    const bool left = spec.value("left", true), right = spec.value("right", true);
    return [left, right](const std::string& s) {
      const size_t b = left ? leadingWhitespaceBytes(s, 0, s.size()) : 0;
      const size_t e = right ? trailingWhitespaceStart(s, b, s.size()) : s.size();
      return s.substr(b, e - b);
    };
  }
  if (type == "Prepend") {
    const std::string prefix = spec.value("prepend", "");
    return [prefix](const std::string& s) { return s.empty() ? s : prefix + s; };
  }
  if (type == "Replace") {
    const std::string to = spec.value("content", "");
    const auto& p = spec.value("pattern", nlohmann::json());
    if (p.is_object() && p.contains("String")) {
      const std::string from = p["String"].get<std::string>();
      return [from, to](const std::string& s) { return replaceLiteral(s, from, to); };
    }
    check(p.is_object() && p.contains("Regex") && p["Regex"].is_string(), where + ": Replace normalizer needs pattern {\"String\": ...} or {\"Regex\": ...}");
    auto re = std::make_shared<Regex>(p["Regex"].get<std::string>());
    return [re, to](const std::string& s) { return re->replaceAll(s, to); };
  }
  if (type == "Precompiled") {
    const auto& blob = spec.value("precompiled_charsmap", nlohmann::json());
    if (blob.is_null() || (blob.is_string() && blob.get<std::string>().empty())) return [](const std::string& s) { return s; };
    check(blob.is_string(), where + ": Precompiled normalizer: precompiled_charsmap must be a base64 string");
    auto map = std::make_shared<PrecompiledCharsMap>(base64Decode(blob.get<std::string>(), where + ": precompiled_charsmap"), where);
    return [map](const std::string& s) { return map->normalize(s); };
  }
  if (type == "BertNormalizer") return bertNormalizer(spec);
  if (type == "ByteLevel") return byteLevelEncode;
  if (type == "Sequence") {
    std::vector<Normalizer> steps;
    for (const auto& n : spec.value("normalizers", nlohmann::json::array())) steps.push_back(makeNormalizer(n, where));
    return [steps](const std::string& s) {
      std::string out = s;
      for (const auto& f : steps) out = f(out);
      return out;
    };
  }
  throw Error(where + ": unsupported normalizer type '" + type +
              "' (expected NFC, NFD, NFKC, NFKD, Lowercase, Strip, StripAccents, Prepend, Replace, Precompiled, BertNormalizer, "
              "ByteLevel or Sequence)");
}

}  // namespace gt
