#include "core/io/pre_tokenizer.h"

#define PCRE2_CODE_UNIT_WIDTH 8
#include <pcre2.h>

#include "core/io/byte_level.h"
#include "core/util/error.h"

namespace gt {

const char* const kGpt2Pattern = R"('s|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+)";

Regex::Regex(const std::string& pattern) {
  int err = 0;
  PCRE2_SIZE offset = 0;
  code_ = pcre2_compile(reinterpret_cast<PCRE2_SPTR>(pattern.c_str()), pattern.size(), PCRE2_UTF | PCRE2_UCP, &err, &offset, nullptr);
  if (!code_) {
    PCRE2_UCHAR buf[256];
    pcre2_get_error_message(err, buf, sizeof buf);
    throw Error("regex '" + pattern + "' at offset " + std::to_string(offset) + ": " + reinterpret_cast<char*>(buf));
  }
  pcre2_jit_compile(static_cast<pcre2_code*>(code_), PCRE2_JIT_COMPLETE);
}

Regex::~Regex() { pcre2_code_free(static_cast<pcre2_code*>(code_)); }

std::vector<std::pair<size_t, size_t>> Regex::findAll(const std::string& text) const {
  std::vector<std::pair<size_t, size_t>> out;
  auto* code = static_cast<pcre2_code*>(code_);
  pcre2_match_data* md = pcre2_match_data_create_from_pattern(code, nullptr);
  size_t start = 0;
  while (start <= text.size()) {
    const int rc = pcre2_match(code, reinterpret_cast<PCRE2_SPTR>(text.data()), text.size(), start, PCRE2_NO_UTF_CHECK, md, nullptr);
    if (rc < 0) break;
    const PCRE2_SIZE* ov = pcre2_get_ovector_pointer(md);
    size_t b = ov[0], e = ov[1];
    if (e == b) {  // empty match: skip one character
      if (b >= text.size()) break;
      size_t next = b + 1;
      while (next < text.size() && (static_cast<unsigned char>(text[next]) & 0xC0) == 0x80) ++next;
      start = next;
      continue;
    }
    out.emplace_back(b, e);
    start = e;
  }
  pcre2_match_data_free(md);
  return out;
}

namespace {

enum class Behavior { Removed, Isolated, MergedWithPrevious, MergedWithNext, Contiguous };

// Cuts `text` at the matches of `re` following tokenizers' SplitDelimiterBehavior.
std::vector<std::string> splitBy(const std::string& text, const Regex& re, Behavior behavior, bool invert) {
  struct Seg {
    size_t b, e;
    bool match;
  };
  std::vector<Seg> segs;
  size_t last = 0;
  for (auto [b, e] : re.findAll(text)) {
    if (b > last) segs.push_back({last, b, false});
    segs.push_back({b, e, true});
    last = e;
  }
  if (last < text.size()) segs.push_back({last, text.size(), false});
  if (invert)
    for (auto& s : segs) s.match = !s.match;

  std::vector<std::pair<size_t, size_t>> pieces;
  switch (behavior) {
    case Behavior::Removed:
      for (auto& s : segs)
        if (!s.match) pieces.emplace_back(s.b, s.e);
      break;
    case Behavior::Isolated:
      for (auto& s : segs) pieces.emplace_back(s.b, s.e);
      break;
    case Behavior::MergedWithPrevious: {
      bool prevWasMatch = false;
      for (auto& s : segs) {
        if (s.match && !pieces.empty() && !prevWasMatch) pieces.back().second = s.e;
        else pieces.emplace_back(s.b, s.e);
        prevWasMatch = s.match;
      }
      break;
    }
    case Behavior::MergedWithNext: {
      bool pending = false;  // the last piece is a delimiter waiting for what follows it
      for (auto& s : segs) {
        if (pending && !s.match) {
          pieces.back().second = s.e;
          pending = false;
        } else {
          pieces.emplace_back(s.b, s.e);
          pending = s.match;
        }
      }
      break;
    }
    case Behavior::Contiguous: {
      bool prevMatch = false;
      for (auto& s : segs) {
        if (s.match && prevMatch) pieces.back().second = s.e;
        else pieces.emplace_back(s.b, s.e);
        prevMatch = s.match;
      }
      break;
    }
  }
  std::vector<std::string> out;
  for (auto [b, e] : pieces)
    if (e > b) out.push_back(text.substr(b, e - b));
  return out;
}

class SplitPreTokenizer : public PreTokenizer {
 public:
  SplitPreTokenizer(const std::string& pattern, Behavior behavior, bool invert)
      : re_(pattern), behavior_(behavior), invert_(invert) {}
  std::vector<std::string> apply(const std::vector<std::string>& pieces) const override {
    std::vector<std::string> out;
    for (const auto& p : pieces)
      for (auto& s : splitBy(p, re_, behavior_, invert_)) out.push_back(std::move(s));
    return out;
  }

 private:
  Regex re_;
  Behavior behavior_;
  bool invert_;
};

class ByteLevelPreTokenizer : public PreTokenizer {
 public:
  ByteLevelPreTokenizer(bool addPrefixSpace, bool useRegex) : addPrefixSpace_(addPrefixSpace), useRegex_(useRegex), re_(kGpt2Pattern) {}
  std::vector<std::string> apply(const std::vector<std::string>& pieces) const override {
    std::vector<std::string> out;
    for (const auto& piece : pieces) {
      std::string p = piece;
      if (addPrefixSpace_ && (p.empty() || p[0] != ' ')) p = " " + p;
      if (useRegex_) {
        for (auto& s : splitBy(p, re_, Behavior::Isolated, false)) out.push_back(byteLevelEncode(s));
      } else if (!p.empty()) {
        out.push_back(byteLevelEncode(p));
      }
    }
    return out;
  }
  bool byteLevel() const override { return true; }

 private:
  bool addPrefixSpace_, useRegex_;
  Regex re_;
};

class SequencePreTokenizer : public PreTokenizer {
 public:
  explicit SequencePreTokenizer(std::vector<std::unique_ptr<PreTokenizer>> steps) : steps_(std::move(steps)) {}
  std::vector<std::string> apply(const std::vector<std::string>& pieces) const override {
    auto out = pieces;
    for (const auto& s : steps_) out = s->apply(out);
    return out;
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
  std::vector<std::string> apply(const std::vector<std::string>& pieces) const override { return pieces; }
};

std::string escapeRegex(const std::string& s) {
  std::string out;
  for (char c : s) {
    if (std::string("\\^$.|?*+()[]{}").find(c) != std::string::npos) out.push_back('\\');
    out.push_back(c);
  }
  return out;
}

Behavior parseBehavior(const std::string& name, const std::string& where) {
  if (name == "Removed") return Behavior::Removed;
  if (name == "Isolated") return Behavior::Isolated;
  if (name == "MergedWithPrevious") return Behavior::MergedWithPrevious;
  if (name == "MergedWithNext") return Behavior::MergedWithNext;
  if (name == "Contiguous") return Behavior::Contiguous;
  throw Error(where + ": unknown Split behavior '" + name + "'");
}

}  // namespace

std::unique_ptr<PreTokenizer> makePreTokenizer(const nlohmann::json& spec, const std::string& where) {
  if (spec.is_null()) return std::make_unique<IdentityPreTokenizer>();
  check(spec.is_object() && spec.contains("type"), where + ": pre_tokenizer must be an object with a 'type'");
  const std::string type = spec["type"].get<std::string>();
  if (type == "ByteLevel")
    return std::make_unique<ByteLevelPreTokenizer>(spec.value("add_prefix_space", true), spec.value("use_regex", true));
  if (type == "Split") {
    check(spec.contains("pattern"), where + ": Split pre-tokenizer needs a 'pattern'");
    const auto& p = spec["pattern"];
    std::string pattern;
    if (p.contains("Regex")) pattern = p["Regex"].get<std::string>();
    else if (p.contains("String")) pattern = escapeRegex(p["String"].get<std::string>());
    else throw Error(where + ": Split pattern must be {\"Regex\": ...} or {\"String\": ...}");
    return std::make_unique<SplitPreTokenizer>(pattern, parseBehavior(spec.value("behavior", "Isolated"), where), spec.value("invert", false));
  }
  if (type == "Whitespace") return std::make_unique<SplitPreTokenizer>(R"(\w+|[^\w\s]+)", Behavior::Removed, true);
  if (type == "WhitespaceSplit") return std::make_unique<SplitPreTokenizer>(R"(\s+)", Behavior::Removed, false);
  if (type == "Digits")
    return std::make_unique<SplitPreTokenizer>(spec.value("individual_digits", false) ? R"(\p{N})" : R"(\p{N}+)", Behavior::Isolated, false);
  if (type == "Sequence") {
    std::vector<std::unique_ptr<PreTokenizer>> steps;
    for (const auto& s : spec.value("pretokenizers", nlohmann::json::array())) steps.push_back(makePreTokenizer(s, where));
    return std::make_unique<SequencePreTokenizer>(std::move(steps));
  }
  throw Error(where + ": unsupported pre_tokenizer type '" + type +
              "' (expected ByteLevel, Split, Whitespace, WhitespaceSplit, Digits or Sequence)");
}

}  // namespace gt
