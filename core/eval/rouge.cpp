#include "core/eval/rouge.h"

#include <algorithm>
#include <cctype>
#include <map>
#include <sstream>

#include "core/eval/porter_stemmer.h"

namespace gt {
namespace {

std::map<std::vector<std::string>, int> ngramCounts(const std::vector<std::string>& tokens, size_t n) {
  std::map<std::vector<std::string>, int> counts;
  for (size_t i = 0; i + n <= tokens.size(); ++i) ++counts[std::vector<std::string>(tokens.begin() + long(i), tokens.begin() + long(i + n))];
  return counts;
}

double f1(double hits, double predictionCount, double referenceCount) {
  const double precision = hits / std::max(predictionCount, 1.0);
  const double recall = hits / std::max(referenceCount, 1.0);
  return precision + recall == 0 ? 0.0 : 2 * precision * recall / (precision + recall);
}

double rougeN(const std::vector<std::string>& prediction, const std::vector<std::string>& reference, size_t n) {
  const auto p = ngramCounts(prediction, n), r = ngramCounts(reference, n);
  int pTotal = 0, rTotal = 0, hits = 0;
  for (const auto& [g, c] : p) pTotal += c;
  for (const auto& [g, c] : r) rTotal += c;
  if (pTotal == 0 || rTotal == 0) return 0.0;
  for (const auto& [g, c] : p)
    if (const auto it = r.find(g); it != r.end()) hits += std::min(c, it->second);
  return f1(hits, pTotal, rTotal);
}

size_t lcsLength(const std::vector<std::string>& a, const std::vector<std::string>& b) {
  std::vector<size_t> row(b.size() + 1, 0), prev(b.size() + 1, 0);
  for (size_t i = 1; i <= a.size(); ++i) {
    for (size_t j = 1; j <= b.size(); ++j)
      row[j] = a[i - 1] == b[j - 1] ? prev[j - 1] + 1 : std::max(prev[j], row[j - 1]);
    std::swap(row, prev);
  }
  return prev[b.size()];
}

}  // namespace

std::vector<std::string> rougeTokens(const std::string& text, bool stem) {
  std::vector<std::string> tokens;
  std::string current;
  auto flush = [&] {
    if (current.empty()) return;
    tokens.push_back(stem && current.size() > 3 ? porterStem(current) : current);
    current.clear();
  };
  for (unsigned char c : text) {
    const char lower = char(std::tolower(c));
    if ((lower >= 'a' && lower <= 'z') || (lower >= '0' && lower <= '9')) current += lower;
    else flush();
  }
  flush();
  tokens.erase(std::remove(tokens.begin(), tokens.end(), std::string()), tokens.end());
  return tokens;
}

RougeScores rougeScores(const std::string& prediction, const std::string& reference, bool stem) {
  const auto p = rougeTokens(prediction, stem), r = rougeTokens(reference, stem);
  RougeScores s;
  s.rouge1 = rougeN(p, r, 1);
  s.rouge2 = rougeN(p, r, 2);
  s.rougeL = p.empty() || r.empty() ? 0.0 : f1(double(lcsLength(p, r)), double(p.size()), double(r.size()));
  return s;
}

RougeScores meanRouge(const std::vector<RougeScores>& scores) {
  RougeScores m;
  for (const auto& s : scores) m.rouge1 += s.rouge1, m.rouge2 += s.rouge2, m.rougeL += s.rougeL;
  if (!scores.empty()) m.rouge1 /= double(scores.size()), m.rouge2 /= double(scores.size()), m.rougeL /= double(scores.size());
  return m;
}

bool exactMatch(const std::string& prediction, const std::string& reference) {
  auto normalise = [](const std::string& text) {
    std::string cleaned;
    for (unsigned char c : text) {
      if (std::ispunct(c)) continue;
      cleaned += char(std::tolower(c));
    }
    std::istringstream words(cleaned);
    std::string w, out;
    while (words >> w) {
      if (w == "a" || w == "an" || w == "the") continue;
      if (!out.empty()) out += ' ';
      out += w;
    }
    return out;
  };
  return normalise(prediction) == normalise(reference);
}

}  // namespace gt
