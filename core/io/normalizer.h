// Normalizers of a tokenizer.json ("normalizer" field), as the tokenizers library applies them.
// Unicode normal forms and case mapping come from utf8proc; input is valid UTF-8 (the tokenizer
// checks it once).
#pragma once
#include <nlohmann/json.hpp>

#include <functional>
#include <string>

namespace gt {

using Normalizer = std::function<std::string(const std::string&)>;

// Supports NFC, NFD, NFKC, NFKD, Lowercase, Strip, StripAccents, Prepend, Replace (string or
// regex pattern), Precompiled (SentencePiece charsmap), BertNormalizer, ByteLevel and Sequence;
// null -> identity. Throws gt::Error naming `where` and the type otherwise.
Normalizer makeNormalizer(const nlohmann::json& spec, const std::string& where);

}  // namespace gt
