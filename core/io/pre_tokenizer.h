// Pre-tokenizers of a tokenizer.json ("pre_tokenizer" field): they cut normalised text into
// pieces that the model encodes independently, with the split behaviours of the tokenizers
// library (Removed, Isolated, MergedWithPrevious, MergedWithNext, Contiguous).
#pragma once
#include <nlohmann/json.hpp>

#include <memory>
#include <string>
#include <vector>

#include "core/io/regex.h"

namespace gt {

struct PreToken {
  std::string text;
  bool atTextStart;  // begins at offset 0 of the original text (Metaspace's prepend_scheme "first")
};

class PreTokenizer {
 public:
  virtual ~PreTokenizer() = default;
  // Transforms the list of pieces (each piece may be split further or rewritten).
  virtual std::vector<PreToken> apply(std::vector<PreToken> pieces) const = 0;
  // True when the pieces come out in GPT-2's byte-to-unicode alphabet.
  virtual bool byteLevel() const { return false; }
};

// ByteLevel, Split, Metaspace, Whitespace, WhitespaceSplit, Punctuation, Digits, BertPreTokenizer,
// CharDelimiterSplit, Sequence; null -> no splitting. Unknown types: gt::Error naming `where`.
std::unique_ptr<PreTokenizer> makePreTokenizer(const nlohmann::json& spec, const std::string& where);

// GPT-2's pre-tokenisation pattern (the ByteLevel pre-tokenizer's regex).
extern const char* const kGpt2Pattern;

}  // namespace gt
