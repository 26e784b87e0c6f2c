// Unicode helpers the tokenizer.json pipeline needs, with the meanings Rust's `char` gives them
// (the reference tokenizers library is Rust): whitespace, alphanumeric, punctuation, marks.
#pragma once
#include <cstdint>
#include <string>

namespace gt {

// Throws gt::Error "<what>: not valid UTF-8 at byte N" unless `text` is well-formed UTF-8
// (no overlong forms, surrogates or code points above U+10FFFF).
void checkUtf8(const std::string& text, const std::string& what);

// Decodes the code point at `pos` of valid UTF-8 and returns its length in bytes.
int utf8Next(const std::string& text, size_t pos, char32_t& cp);
// Appends `cp` encoded as UTF-8.
void appendUtf8(std::string& out, char32_t cp);

bool isUnicodeWhitespace(char32_t cp);   // Rust char::is_whitespace (White_Space property)
bool isUnicodeAlphanumeric(char32_t cp); // letters and numbers (Rust char::is_alphanumeric)
bool isUnicodeNumeric(char32_t cp);      // general categories Nd, Nl, No (Rust char::is_numeric)
bool isUnicodePunctuation(char32_t cp);  // ASCII punctuation or general category P*
bool isCombiningMark(char32_t cp);       // general categories Mn, Mc, Me

// `text` with every occurrence of `from` (non-empty) replaced by `to`.
std::string replaceLiteral(const std::string& text, const std::string& from, const std::string& to);

// Byte length of the whitespace run at the start / the byte offset where the whitespace run at
// the end begins (Unicode whitespace).
size_t leadingWhitespaceBytes(const std::string& text, size_t begin, size_t end);
size_t trailingWhitespaceStart(const std::string& text, size_t begin, size_t end);

}  // namespace gt
