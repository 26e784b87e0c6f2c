// GPT-2's byte-to-unicode table: every byte maps to a printable code point so BPE can work on
// text; printable ASCII/Latin-1 map to themselves, the rest to U+0100 upwards (space -> 'Ġ').
#pragma once
#include <string>
#include <vector>

namespace gt {

// UTF-8 string of mapped code points for the bytes of `text`.
std::string byteLevelEncode(const std::string& text);
// Inverse of byteLevelEncode; code points outside the table pass through as their UTF-8 bytes.
std::string byteLevelDecode(const std::string& mapped);
// Invalid UTF-8 sequences replaced by U+FFFD (as Rust's from_utf8_lossy does).
std::string utf8Lossy(const std::string& bytes);
// Splits a UTF-8 string into its characters (each a UTF-8 substring).
std::vector<std::string> utf8Chars(const std::string& text);

}  // namespace gt
