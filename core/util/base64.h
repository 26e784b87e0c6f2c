// Standard base64 (RFC 4648, with or without '=' padding) to bytes.
#pragma once
#include <string>

namespace gt {

// Throws gt::Error "<what>: not valid base64 (character N)" on any other character.
std::string base64Decode(const std::string& text, const std::string& what);

}  // namespace gt
