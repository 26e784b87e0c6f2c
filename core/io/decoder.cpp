#include "core/io/decoder.h"

#include <memory>

#include "core/io/byte_level.h"
#include "core/io/regex.h"
#include "core/io/unicode_text.h"
#include "core/util/error.h"

namespace gt {
namespace {

using Tokens = std::vector<std::string>;

// Runs of "<0xXX>" tokens become the bytes they name; a run that is not valid UTF-8 becomes one
// U+FFFD per byte (tokenizers' ByteFallback decoder).
Tokens byteFallback(Tokens tokens) {
  Tokens out;
  std::string bytes;
  size_t count = 0;
  auto flush = [&] {
    if (!count) return;
    if (utf8Lossy(bytes) == bytes) out.push_back(bytes);
    else
      for (size_t k = 0; k < count; ++k) out.push_back("\xEF\xBF\xBD");
    bytes.clear();
    count = 0;
  };
  auto hexValue = [](char c) { return c >= '0' && c <= '9' ? c - '0' : c >= 'A' && c <= 'F' ? c - 'A' + 10 : c >= 'a' && c <= 'f' ? c - 'a' + 10 : -1; };
  for (auto& t : tokens) {
    if (t.size() == 6 && t.compare(0, 3, "<0x") == 0 && t[5] == '>' && hexValue(t[3]) >= 0 && hexValue(t[4]) >= 0) {
      bytes.push_back(char(hexValue(t[3]) * 16 + hexValue(t[4])));
      ++count;
      continue;
    }
    flush();
    out.push_back(std::move(t));
  }
  flush();
  return out;
}

DecodeChain strip(const std::string& content, size_t start, size_t stop) {
  return [=](Tokens tokens) {
    for (auto& t : tokens) {
      const auto cs = utf8Chars(t);
      size_t b = 0, e = cs.size();
      while (b < start && b < cs.size() && cs[b] == content) ++b;
      size_t trimmed = 0;
      while (trimmed < stop && e > b && cs[e - 1] == content) --e, ++trimmed;
      std::string s;
      for (size_t k = b; k < e; ++k) s += cs[k];
      t = std::move(s);
    }
    return tokens;
  };
}

DecodeChain wordPiece(const std::string& prefix, bool cleanup) {
  return [=](Tokens tokens) {
    for (size_t i = 0; i < tokens.size(); ++i) {
      auto& t = tokens[i];
      if (i != 0) {
        if (t.compare(0, prefix.size(), prefix) == 0) t = t.substr(prefix.size());
        else t = " " + t;
      }
      if (cleanup) {
        for (const auto& [from, to] : std::vector<std::pair<std::string, std::string>>{
                 {" .", "."}, {" ?", "?"}, {" !", "!"}, {" ,", ","}, {" ' ", "'"}, {" n't", "n't"}, {" 'm", "'m"},
                 {" do not", " don't"}, {" 's", "'s"}, {" 've", "'ve"}, {" 're", "'re"}})
          t = replaceLiteral(t, from, to);
      }
    }
    return tokens;
  };
}

}  // namespace

DecodeChain makeDecoder(const nlohmann::json& spec, const std::string& where) {
  if (spec.is_null()) return {};
  check(spec.is_object() && spec.contains("type") && spec["type"].is_string(), where + ": decoder must be an object with a 'type'");
  const std::string type = spec["type"].get<std::string>();
  if (type == "ByteLevel")
    return [](Tokens tokens) {
      std::string bytes;
      for (const auto& t : tokens) bytes += byteLevelDecode(t);
      return Tokens{utf8Lossy(bytes)};
    };
  if (type == "Metaspace") {
    const std::string replacement = spec.value("replacement", "\xE2\x96\x81");
    bool prepend = spec.value("add_prefix_space", true);
    if (spec.contains("prepend_scheme") && spec["prepend_scheme"].is_string()) prepend = spec["prepend_scheme"].get<std::string>() != "never";
    return [replacement, prepend](Tokens tokens) {
      for (size_t i = 0; i < tokens.size(); ++i) {
        // The first token loses its replacement characters (the prepended space) when one was prepended.
        tokens[i] = replaceLiteral(tokens[i], replacement, i == 0 && prepend ? "" : " ");
      }
      return tokens;
    };
  }
  if (type == "Replace") {
    const std::string to = spec.value("content", "");
    const auto& p = spec.value("pattern", nlohmann::json());
    if (p.is_object() && p.contains("String") && p["String"].is_string()) {
      const std::string from = p["String"].get<std::string>();
      return [from, to](Tokens tokens) {
        for (auto& t : tokens) t = replaceLiteral(t, from, to);
        return tokens;
      };
    }
    check(p.is_object() && p.contains("Regex") && p["Regex"].is_string(), where + ": Replace decoder needs pattern {\"String\": ...} or {\"Regex\": ...}");
    auto re = std::make_shared<Regex>(p["Regex"].get<std::string>());
    return [re, to](Tokens tokens) {
      for (auto& t : tokens) t = re->replaceAll(t, to);
      return tokens;
    };
  }
  if (type == "ByteFallback") return byteFallback;
  if (type == "Fuse")
    return [](Tokens tokens) {
      std::string all;
      for (const auto& t : tokens) all += t;
      return Tokens{all};
    };
  if (type == "Strip") {
    const std::string content = spec.value("content", " ");
    return strip(content, spec.value("start", size_t(0)), spec.value("stop", size_t(0)));
  }
  if (type == "WordPiece") return wordPiece(spec.value("prefix", "##"), spec.value("cleanup", true));
  if (type == "BPEDecoder") {
    const std::string suffix = spec.value("suffix", "</w>");
    return [suffix](Tokens tokens) {
      for (size_t i = 0; i < tokens.size(); ++i) tokens[i] = replaceLiteral(tokens[i], suffix, i + 1 == tokens.size() ? "" : " ");
      return tokens;
    };
  }
  if (type == "Sequence") {
    std::vector<DecodeChain> steps;
    for (const auto& d : spec.value("decoders", nlohmann::json::array())) {
      auto step = makeDecoder(d, where);
      if (step) steps.push_back(std::move(step));
    }
    return [steps](Tokens tokens) {
      for (const auto& s : steps) tokens = s(std::move(tokens));
      return tokens;
    };
  }
  throw Error(where + ": decoder type '" + type +
              "' is not supported (expected ByteLevel, Metaspace, Replace, ByteFallback, Fuse, Strip, WordPiece, BPEDecoder or Sequence)");
}

}  // namespace gt
