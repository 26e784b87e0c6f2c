// Normalizers of a tokenizer.json ("normalizer" field), as the tokenizers library applies them.
// Unicode normal forms and case folding come from utf8proc.
#pragma once
#include <nlohmann/json.hpp>

#include <functional>
#include <string>

namespace gt {

using Normalizer = std::function<std::string(const std::string&)>;

// Supports NFC, NFD, NFKC, NFKD, Lowercase, Strip, Prepend, Replace (string pattern) and Sequence;
// null -> identity. Throws gt::Error naming `where` and the type otherwise.
Normalizer makeNormalizer(const nlohmann::json& spec, const std::string& where);

}  // namespace gt
