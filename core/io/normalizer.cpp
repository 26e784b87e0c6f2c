#include "core/io/normalizer.h"

#include <utf8proc.h>

#include <vector>

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

std::string lowercase(const std::string& s) {
  std::string out;
  const auto* p = reinterpret_cast<const utf8proc_uint8_t*>(s.data());
  utf8proc_ssize_t i = 0, n = utf8proc_ssize_t(s.size());
  while (i < n) {
    utf8proc_int32_t cp = 0;
    const auto len = utf8proc_iterate(p + i, n - i, &cp);
    if (len <= 0) {
      out.push_back(s[size_t(i)]);
      ++i;
      continue;
    }
    utf8proc_uint8_t buf[4];
    const auto w = utf8proc_encode_char(utf8proc_tolower(cp), buf);
    out.append(reinterpret_cast<char*>(buf), size_t(w));
    i += len;
  }
  return out;
}

std::string replaceAll(std::string s, const std::string& from, const std::string& to) {
  if (from.empty()) return s;
  size_t pos = 0;
  while ((pos = s.find(from, pos)) != std::string::npos) {
    s.replace(pos, from.size(), to);
    pos += to.size();
  }
  return s;
}

bool isSpace(unsigned char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\v' || c == '\f'; }

}  // namespace

Normalizer makeNormalizer(const nlohmann::json& spec, const std::string& where) {
  if (spec.is_null()) return [](const std::string& s) { return s; };
  check(spec.is_object() && spec.contains("type"), where + ": normalizer must be an object with a 'type'");
  const std::string type = spec["type"].get<std::string>();
  if (type == "NFC") return [](const std::string& s) { return unicodeMap(s, UTF8PROC_STABLE | UTF8PROC_COMPOSE); };
  if (type == "NFD") return [](const std::string& s) { return unicodeMap(s, UTF8PROC_STABLE | UTF8PROC_DECOMPOSE); };
  if (type == "NFKC")
    return [](const std::string& s) { return unicodeMap(s, UTF8PROC_STABLE | UTF8PROC_COMPOSE | UTF8PROC_COMPAT); };
  if (type == "NFKD")
    return [](const std::string& s) { return unicodeMap(s, UTF8PROC_STABLE | UTF8PROC_DECOMPOSE | UTF8PROC_COMPAT); };
  if (type == "Lowercase") return lowercase;
  if (type == "Strip") {
    const bool left = spec.value("left", true), right = spec.value("right", true);
    return [left, right](const std::string& s) {
      size_t b = 0, e = s.size();
      if (left)
        while (b < e && isSpace(static_cast<unsigned char>(s[b]))) ++b;
      if (right)
        while (e > b && isSpace(static_cast<unsigned char>(s[e - 1]))) --e;
      return s.substr(b, e - b);
    };
  }
  if (type == "Prepend") {
    const std::string prefix = spec.value("prepend", "");
    return [prefix](const std::string& s) { return s.empty() ? s : prefix + s; };
  }
  if (type == "Replace") {
    check(spec.contains("pattern") && spec["pattern"].contains("String"),
          where + ": Replace normalizer: only string patterns are supported");
    const std::string from = spec["pattern"]["String"].get<std::string>();
    const std::string to = spec.value("content", "");
    return [from, to](const std::string& s) { return replaceAll(s, from, to); };
  }
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
              "' (expected NFC, NFD, NFKC, NFKD, Lowercase, Strip, Prepend, Replace or Sequence)");
}

}  // namespace gt
