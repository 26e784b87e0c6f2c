// The demo task's data: Debian package long descriptions paired with their one-line synopses.
// Reads APT's Translation-en (Package, Description-md5, Description-en) and Packages (Package,
// Source, Description-md5) indexes, joins them to find each binary package's source package,
// cleans, dedupes and splits train/valid/test by a hash of the source package, so binary
// packages of one source (libfoo, libfoo-dev, foo-doc) never straddle splits.
#pragma once
#include <cstdint>
#include <string>
#include <vector>

namespace gt {

struct DebianPair {
  std::string source;         // the long description (paragraphs separated by '\n')
  std::string target;         // the synopsis
  std::string package;        // binary package
  std::string sourcePackage;  // source package (split key)
  std::string split;          // train | valid | test
};

struct DebianDatasetStats {
  int64_t descriptions = 0;      // Translation-en stanzas read
  int64_t droppedEmpty = 0;      // no synopsis or no long description
  int64_t droppedShort = 0;      // long description under min_words words
  int64_t droppedBoilerplate = 0;
  int64_t droppedDuplicate = 0;  // same long description as an earlier package
  int64_t unjoined = 0;          // no Packages entry: the binary name stands in for the source
  int64_t train = 0, valid = 0, test = 0;
  int64_t sourcePackages = 0;
};

// One APT control-file stanza as (field, value) pairs; continuation lines keep their leading space.
std::vector<std::vector<std::pair<std::string, std::string>>> parseStanzas(const std::string& text);

// Description-en body (the lines after the synopsis, each starting with a space) to plain text:
// lines of a paragraph joined by spaces, " ." starts a new paragraph, lines with two leading
// spaces are kept verbatim on their own line.
std::string descriptionBody(const std::string& continuation);

// Whitespace-separated words in a text.
int64_t countWords(const std::string& text);

// True for transitional/dummy packages, debug symbols and metapackages.
bool isBoilerplate(const std::string& synopsis, const std::string& body);

// The split's hash of a name: FNV-1a's loop (xor byte, multiply by the 64-bit FNV prime) from the
// offset basis 1469598103934665603 -- FNV's 14695981039346656037 with its last digit missing. Not
// FNV-1a, but kept: the demo model was pretrained on the train split it defines, and a corrected
// hash would move test rows into pretraining. tests/fixtures/debian/split_hash.py is a reference.
uint64_t splitHash(const std::string& text);

// "train" (98%), "valid" (1%) or "test" (1%) from splitHash of the source package name.
std::string splitFor(const std::string& sourcePackage);

std::vector<DebianPair> buildDebianDataset(const std::vector<std::string>& translationTexts, const std::vector<std::string>& packagesTexts,
                                           DebianDatasetStats& stats, int64_t minWords = 20);

}  // namespace gt
