#include "core/io/pre_tokenizer.h"

#include <algorithm>
#include <functional>

#include "core/io/byte_level.h"
#include "core/io/unicode_text.h"
#include "core/util/error.h"

namespace gt {

const char* const kGpt2Pattern = R"('s|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+)";

namespace {

enum class Behavior { Removed, Isolated, MergedWithPrevious, MergedWithNext, Contiguous };
using Ranges = std::vector<std::pair<size_t, size_t>>;
using FindMatches = std::function<Ranges(const std::string&)>;

// Each character for which `pred` holds is a match of its own (the library's char patterns).
FindMatches charMatches(std::function<bool(char32_t)> pred) {
  return [pred](const std::string& text) {
    Ranges out;
    for (size_t i = 0; i < text.size();) {
      char32_t cp = 0;
      const size_t len = size_t(utf8Next(text, i, cp));
      if (pred(cp)) out.emplace_back(i, i + len);
      i += len;
    }
    return out;
  };
}

FindMatches regexMatches(const std::string& pattern) {
  auto re = std::make_shared<Regex>(pattern);
  return [re](const std::string& text) { return re->findAll(text); };
}

FindMatches literalMatches(const std::string& needle) {
  return [needle](const std::string& text) {
    Ranges out;
    if (needle.empty()) return out;
    for (size_t pos = text.find(needle); pos != std::string::npos; pos = text.find(needle, pos + needle.size()))
      out.emplace_back(pos, pos + needle.size());
    return out;
  };
}

// Cuts a piece at the matches following the library's SplitDelimiterBehavior; empty pieces
// are dropped; only the first sub-piece keeps `atTextStart`.
void splitPiece(const PreToken& piece, const Ranges& matches, Behavior behavior, bool invert, std::vector<PreToken>& out) {
  const std::string& text = piece.text;
  struct Seg {
    size_t b, e;
    bool match;
  };
  std::vector<Seg> segs;
  size_t last = 0;
  for (auto [b, e] : matches) {
    if (b > last) segs.push_back({last, b, false});
    segs.push_back({b, e, true});
    last = e;
  }
  if (last < text.size()) segs.push_back({last, text.size(), false});
  if (invert)
    for (auto& s : segs) s.match = !s.match;

  Ranges pieces;
  bool prev = false;
  switch (behavior) {
    case Behavior::Removed:
      for (auto& s : segs)
        if (!s.match) pieces.emplace_back(s.b, s.e);
      break;
    case Behavior::Isolated:
      for (auto& s : segs) pieces.emplace_back(s.b, s.e);
      break;
    case Behavior::MergedWithPrevious:
      for (auto& s : segs) {
        if (s.match && !prev && !pieces.empty()) pieces.back().second = s.e;
        else pieces.emplace_back(s.b, s.e);
        prev = s.match;
      }
      break;
    case Behavior::MergedWithNext:  // a match joins the piece after it unless that is a match too
      for (size_t k = segs.size(); k-- > 0;) {
        const auto& s = segs[k];
        if (s.match && !prev && !pieces.empty()) pieces.back().first = s.b;
        else pieces.emplace_back(s.b, s.e);
        prev = s.match;
      }
      std::reverse(pieces.begin(), pieces.end());
      break;
    case Behavior::Contiguous:
      for (auto& s : segs) {
        if (s.match == prev && !pieces.empty()) pieces.back().second = s.e;
        else pieces.emplace_back(s.b, s.e);
        prev = s.match;
      }
      break;
  }
  for (auto [b, e] : pieces)
    if (e > b) out.push_back({text.substr(b, e - b), piece.atTextStart && b == 0});
}

class SplitPreTokenizer : public PreTokenizer {
 public:
  SplitPreTokenizer(FindMatches find, Behavior behavior, bool invert) : find_(std::move(find)), behavior_(behavior), invert_(invert) {}
  std::vector<PreToken> apply(std::vector<PreToken> pieces) const override {
    std::vector<PreToken> out;
    for (const auto& p : pieces) splitPiece(p, find_(p.text), behavior_, invert_, out);
    return out;
  }

 private:
  FindMatches find_;
  Behavior behavior_;
  bool invert_;
};

class ByteLevelPreTokenizer : public PreTokenizer {
 public:
  ByteLevelPreTokenizer(bool addPrefixSpace, bool useRegex) : addPrefixSpace_(addPrefixSpace), useRegex_(useRegex), re_(kGpt2Pattern) {}
  std::vector<PreToken> apply(std::vector<PreToken> pieces) const override {
    std::vector<PreToken> out;
    for (auto& piece : pieces) {
      if (addPrefixSpace_ && (piece.text.empty() || piece.text[0] != ' ')) piece.text = " " + piece.text;
      if (useRegex_) {
        const size_t first = out.size();
        splitPiece(piece, re_.findAll(piece.text), Behavior::Isolated, false, out);
        for (size_t k = first; k < out.size(); ++k) out[k].text = byteLevelEncode(out[k].text);
      } else if (!piece.text.empty()) {
        out.push_back({byteLevelEncode(piece.text), piece.atTextStart});
      }
    }
    return out;
  }
  bool byteLevel() const override { return true; }

 private:
  bool addPrefixSpace_, useRegex_;
  Regex re_;
};

// SentencePiece's space handling: spaces become the replacement character (U+2581 '▁'), one is
// prepended (always, or only at the start of the text: "first"), and pieces start at each '▁'.
class MetaspacePreTokenizer : public PreTokenizer {
 public:
  enum class Prepend { Always, First, Never };
  MetaspacePreTokenizer(std::string replacement, Prepend prepend, bool split)
      : replacement_(std::move(replacement)), prepend_(prepend), split_(split) {}
  std::vector<PreToken> apply(std::vector<PreToken> pieces) const override {
    std::vector<PreToken> out;
    for (auto& piece : pieces) {
      std::string t;
      for (char c : piece.text) {
        if (c == ' ') t += replacement_;
        else t.push_back(c);
      }
      const bool starts = t.compare(0, replacement_.size(), replacement_) == 0;
      if (!starts && (prepend_ == Prepend::Always || (prepend_ == Prepend::First && piece.atTextStart))) t = replacement_ + t;
      PreToken p{std::move(t), piece.atTextStart};
      if (split_) splitPiece(p, literalMatches(replacement_)(p.text), Behavior::MergedWithNext, false, out);
      else if (!p.text.empty()) out.push_back(std::move(p));
    }
    return out;
  }

 private:
  std::string replacement_;
  Prepend prepend_;
  bool split_;
};

class SequencePreTokenizer : public PreTokenizer {
 public:
  explicit SequencePreTokenizer(std::vector<std::unique_ptr<PreTokenizer>> steps) : steps_(std::move(steps)) {}
  std::vector<PreToken> apply(std::vector<PreToken> pieces) const override {
    for (const auto& s : steps_) pieces = s->apply(std::move(pieces));
    return pieces;
  }
  bool byteLevel() const override {
    for (const auto& s : steps_)
      if (s->byteLevel()) return true;
    return false;
  }

 private:
  std::vector<std::unique_ptr<PreTokenizer>> steps_;
};

class IdentityPreTokenizer : public PreTokenizer {
 public:
  std::vector<PreToken> apply(std::vector<PreToken> pieces) const override { return pieces; }
};

Behavior parseBehavior(const nlohmann::json& spec, const std::string& where, const char* fallback) {
  const std::string name = spec.contains("behavior") && spec["behavior"].is_string() ? spec["behavior"].get<std::string>() : fallback;
  if (name == "Removed") return Behavior::Removed;
  if (name == "Isolated") return Behavior::Isolated;
  if (name == "MergedWithPrevious") return Behavior::MergedWithPrevious;
  if (name == "MergedWithNext") return Behavior::MergedWithNext;
  if (name == "Contiguous") return Behavior::Contiguous;
  throw Error(where + ": unknown split behavior '" + name + "'");
}

std::unique_ptr<PreTokenizer> metaspace(const nlohmann::json& spec, const std::string& where) {
  const std::string replacement = spec.value("replacement", "\xE2\x96\x81");
  check(!replacement.empty(), where + ": Metaspace replacement must be one character");
  MetaspacePreTokenizer::Prepend prepend = spec.value("add_prefix_space", true) ? MetaspacePreTokenizer::Prepend::Always
                                                                                  : MetaspacePreTokenizer::Prepend::Never;
  if (spec.contains("prepend_scheme") && spec["prepend_scheme"].is_string()) {
    const std::string s = spec["prepend_scheme"].get<std::string>();
    if (s == "always") prepend = MetaspacePreTokenizer::Prepend::Always;
    else if (s == "first") prepend = MetaspacePreTokenizer::Prepend::First;
    else if (s == "never") prepend = MetaspacePreTokenizer::Prepend::Never;
    else throw Error(where + ": Metaspace prepend_scheme '" + s + "' (expected always, first or never)");
  }
  return std::make_unique<MetaspacePreTokenizer>(replacement, prepend, spec.value("split", true));
}

}  // namespace

std::unique_ptr<PreTokenizer> makePreTokenizer(const nlohmann::json& spec, const std::string& where) {
  if (spec.is_null()) return std::make_unique<IdentityPreTokenizer>();
  check(spec.is_object() && spec.contains("type") && spec["type"].is_string(), where + ": pre_tokenizer must be an object with a 'type'");
  const std::string type = spec["type"].get<std::string>();
  if (type == "ByteLevel")
    return std::make_unique<ByteLevelPreTokenizer>(spec.value("add_prefix_space", true), spec.value("use_regex", true));
  if (type == "Split") {
    check(spec.contains("pattern") && spec["pattern"].is_object(), where + ": Split pre-tokenizer needs a 'pattern'");
    const auto& p = spec["pattern"];
    FindMatches find;
    if (p.contains("Regex") && p["Regex"].is_string()) find = regexMatches(p["Regex"].get<std::string>());
    else if (p.contains("String") && p["String"].is_string()) find = literalMatches(p["String"].get<std::string>());
    else throw Error(where + ": Split pattern must be {\"Regex\": ...} or {\"String\": ...}");
    return std::make_unique<SplitPreTokenizer>(find, parseBehavior(spec, where, "Isolated"), spec.value("invert", false));
  }
  if (type == "Metaspace") return metaspace(spec, where);
  if (type == "Whitespace") return std::make_unique<SplitPreTokenizer>(regexMatches(R"(\w+|[^\w\s]+)"), Behavior::Removed, true);
  if (type == "WhitespaceSplit") return std::make_unique<SplitPreTokenizer>(charMatches(isUnicodeWhitespace), Behavior::Removed, false);
  if (type == "Punctuation")
    return std::make_unique<SplitPreTokenizer>(charMatches(isUnicodePunctuation), parseBehavior(spec, where, "Isolated"), false);
  if (type == "Digits") {
    return std::make_unique<SplitPreTokenizer>(charMatches(isUnicodeNumeric), spec.value("individual_digits", false) ? Behavior::Isolated : Behavior::Contiguous,
                                               false);
  }
  if (type == "BertPreTokenizer") {
    std::vector<std::unique_ptr<PreTokenizer>> steps;
    steps.push_back(std::make_unique<SplitPreTokenizer>(charMatches(isUnicodeWhitespace), Behavior::Removed, false));
    steps.push_back(std::make_unique<SplitPreTokenizer>(charMatches(isUnicodePunctuation), Behavior::Isolated, false));
    return std::make_unique<SequencePreTokenizer>(std::move(steps));
  }
  if (type == "CharDelimiterSplit") {
    check(spec.contains("delimiter") && spec["delimiter"].is_string(), where + ": CharDelimiterSplit needs a 'delimiter'");
    return std::make_unique<SplitPreTokenizer>(literalMatches(spec["delimiter"].get<std::string>()), Behavior::Removed, false);
  }
  if (type == "Sequence") {
    std::vector<std::unique_ptr<PreTokenizer>> steps;
    for (const auto& s : spec.value("pretokenizers", nlohmann::json::array())) steps.push_back(makePreTokenizer(s, where));
    return std::make_unique<SequencePreTokenizer>(std::move(steps));
  }
  throw Error(where + ": unsupported pre_tokenizer type '" + type +
              "' (expected ByteLevel, Split, Metaspace, Whitespace, WhitespaceSplit, Punctuation, Digits, BertPreTokenizer, "
              "CharDelimiterSplit or Sequence)");
}

}  // namespace gt
