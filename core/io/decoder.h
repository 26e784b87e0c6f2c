// Decoders of a tokenizer.json ("decoder" field): they turn the token strings of ids back into
// text, step by step as the tokenizers library chains them (each step maps the list of token
// strings to a new list; the result is their concatenation).
#pragma once
#include <nlohmann/json.hpp>

#include <functional>
#include <string>
#include <vector>

namespace gt {

using DecodeChain = std::function<std::vector<std::string>(std::vector<std::string>)>;

// ByteLevel, Metaspace, Replace, ByteFallback, Fuse, Strip, WordPiece, BPEDecoder, Sequence.
// null -> an empty function (the caller joins tokens with spaces, as the library does).
DecodeChain makeDecoder(const nlohmann::json& spec, const std::string& where);

}  // namespace gt
