#include "core/eval/porter_stemmer.h"

#include <algorithm>
#include <cctype>
#include <functional>
#include <map>
#include <vector>

namespace gt {
namespace {

bool endsWith(const std::string& w, const std::string& suffix) {
  return w.size() >= suffix.size() && w.compare(w.size() - suffix.size(), suffix.size(), suffix) == 0;
}

std::string dropSuffix(const std::string& w, size_t n) { return w.substr(0, w.size() - n); }

bool isConsonant(const std::string& w, size_t i) {
  switch (w[i]) {
    case 'a': case 'e': case 'i': case 'o': case 'u': return false;
    case 'y': return i == 0 ? true : !isConsonant(w, i - 1);
    default: return true;
  }
}

// m in [C](VC){m}[V]: the number of vowel->consonant transitions.
int measure(const std::string& stem) {
  int m = 0;
  for (size_t i = 1; i < stem.size(); ++i)
    if (!isConsonant(stem, i - 1) && isConsonant(stem, i)) ++m;
  return m;
}

bool containsVowel(const std::string& stem) {
  for (size_t i = 0; i < stem.size(); ++i)
    if (!isConsonant(stem, i)) return true;
  return false;
}

bool endsDoubleConsonant(const std::string& w) {
  return w.size() >= 2 && w[w.size() - 1] == w[w.size() - 2] && isConsonant(w, w.size() - 1);
}

// *o: ends consonant-vowel-consonant, the last not w/x/y; NLTK also accepts a 2-letter vowel-consonant word.
bool endsCvc(const std::string& w) {
  const size_t n = w.size();
  if (n >= 3 && isConsonant(w, n - 3) && !isConsonant(w, n - 2) && isConsonant(w, n - 1) && w[n - 1] != 'w' &&
      w[n - 1] != 'x' && w[n - 1] != 'y')
    return true;
  return n == 2 && !isConsonant(w, 0) && isConsonant(w, 1);
}

struct Rule {
  std::string suffix, replacement;
  std::function<bool(const std::string& stem)> condition;  // empty: unconditional
};

// The first rule whose suffix matches decides: replaced if its condition holds, else the word is kept.
std::string applyRules(const std::string& w, const std::vector<Rule>& rules) {
  for (const auto& r : rules)
    if (endsWith(w, r.suffix)) {
      const std::string stem = dropSuffix(w, r.suffix.size());
      return !r.condition || r.condition(stem) ? stem + r.replacement : w;
    }
  return w;
}

bool positiveMeasure(const std::string& stem) { return measure(stem) > 0; }
bool measureAboveOne(const std::string& stem) { return measure(stem) > 1; }

std::string step1a(const std::string& w) {
  if (endsWith(w, "ies") && w.size() == 4) return dropSuffix(w, 3) + "ie";  // NLTK: dies -> die, flies -> fli
  return applyRules(w, {{"sses", "ss", {}}, {"ies", "i", {}}, {"ss", "ss", {}}, {"s", "", {}}});
}

std::string step1b(const std::string& w) {
  if (endsWith(w, "ied")) return dropSuffix(w, 3) + (w.size() == 4 ? "ie" : "i");  // NLTK: died -> die, spied -> spi
  if (endsWith(w, "eed")) {
    const std::string stem = dropSuffix(w, 3);
    return measure(stem) > 0 ? stem + "ee" : w;
  }
  std::string stem;
  bool stripped = false;
  for (const char* suffix : {"ed", "ing"}) {
    if (!endsWith(w, suffix)) continue;
    stem = dropSuffix(w, std::char_traits<char>::length(suffix));
    if (containsVowel(stem)) {
      stripped = true;
      break;
    }
  }
  if (!stripped) return w;
  if (endsWith(stem, "at")) return stem + "e";
  if (endsWith(stem, "bl")) return stem + "e";
  if (endsWith(stem, "iz")) return stem + "e";
  if (endsDoubleConsonant(stem)) {
    const char last = stem.back();
    return last == 'l' || last == 's' || last == 'z' ? stem : stem.substr(0, stem.size() - 1);
  }
  return measure(stem) == 1 && endsCvc(stem) ? stem + "e" : stem;
}

std::string step1c(const std::string& w) {
  // NLTK: y -> i only after a consonant that is not the whole stem (happy -> happi, enjoy, by kept).
  return applyRules(w, {{"y", "i", [](const std::string& stem) { return stem.size() > 1 && isConsonant(stem, stem.size() - 1); }}});
}

std::string step2(const std::string& w) {
  if (endsWith(w, "alli") && positiveMeasure(dropSuffix(w, 4))) return step2(dropSuffix(w, 4) + "al");
  static const std::vector<Rule> rules = [] {
    std::vector<Rule> r;
    for (const auto& [s, t] : std::vector<std::pair<const char*, const char*>>{
             {"ational", "ate"}, {"tional", "tion"}, {"enci", "ence"},    {"anci", "ance"},   {"izer", "ize"},
             {"bli", "ble"},     {"alli", "al"},     {"entli", "ent"},    {"eli", "e"},       {"ousli", "ous"},
             {"ization", "ize"}, {"ation", "ate"},   {"ator", "ate"},     {"alism", "al"},    {"iveness", "ive"},
             {"fulness", "ful"}, {"ousness", "ous"}, {"aliti", "al"},     {"iviti", "ive"},   {"biliti", "ble"},
             {"fulli", "ful"}})
      r.push_back({s, t, positiveMeasure});
    return r;
  }();
  std::vector<Rule> withLogi = rules;
  // 'logi' -> 'log' keeps the l with the stem, so the measure is taken of word minus "ogi".
  withLogi.push_back({"logi", "log", [&w](const std::string&) { return positiveMeasure(dropSuffix(w, 3)); }});
  return applyRules(w, withLogi);
}

std::string step3(const std::string& w) {
  static const std::vector<Rule> rules = {{"icate", "ic", positiveMeasure}, {"ative", "", positiveMeasure},
                                          {"alize", "al", positiveMeasure}, {"iciti", "ic", positiveMeasure},
                                          {"ical", "ic", positiveMeasure},  {"ful", "", positiveMeasure},
                                          {"ness", "", positiveMeasure}};
  return applyRules(w, rules);
}

std::string step4(const std::string& w) {
  static const std::vector<Rule> rules = [] {
    std::vector<Rule> r;
    for (const char* s : {"al", "ance", "ence", "er", "ic", "able", "ible", "ant", "ement", "ment", "ent"})
      r.push_back({s, "", measureAboveOne});
    r.push_back({"ion", "", [](const std::string& stem) { return measure(stem) > 1 && (stem.back() == 's' || stem.back() == 't'); }});
    for (const char* s : {"ou", "ism", "ate", "iti", "ous", "ive", "ize"}) r.push_back({s, "", measureAboveOne});
    return r;
  }();
  return applyRules(w, rules);
}

std::string step5a(const std::string& w) {
  if (!endsWith(w, "e")) return w;
  const std::string stem = dropSuffix(w, 1);
  const int m = measure(stem);
  return m > 1 || (m == 1 && !endsCvc(stem)) ? stem : w;
}

std::string step5b(const std::string& w) {
  return endsWith(w, "ll") && measure(dropSuffix(w, 1)) > 1 ? dropSuffix(w, 1) : w;
}

}  // namespace

std::string porterStem(const std::string& input) {
  std::string word = input;
  std::transform(word.begin(), word.end(), word.begin(), [](unsigned char c) { return char(std::tolower(c)); });
  static const std::map<std::string, std::string> irregular = {
      {"sky", "sky"},         {"skies", "sky"},     {"dying", "die"},     {"lying", "lie"},          {"tying", "tie"},
      {"news", "news"},       {"innings", "inning"}, {"inning", "inning"}, {"outings", "outing"},     {"outing", "outing"},
      {"cannings", "canning"}, {"canning", "canning"}, {"howe", "howe"},   {"proceed", "proceed"},    {"exceed", "exceed"},
      {"succeed", "succeed"}};
  if (const auto it = irregular.find(word); it != irregular.end()) return it->second;
  if (word.size() <= 2) return word;
  return step5b(step5a(step4(step3(step2(step1c(step1b(step1a(word))))))));
}

}  // namespace gt
