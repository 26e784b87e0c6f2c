#include "core/data/debian_descriptions.h"

#include <algorithm>
#include <map>
#include <set>
#include <sstream>
#include <unordered_set>

namespace gt {
namespace {

std::string lower(std::string s) {
  std::transform(s.begin(), s.end(), s.begin(), [](unsigned char c) { return char(std::tolower(c)); });
  return s;
}

std::string trim(const std::string& s) {
  const auto b = s.find_first_not_of(" \t\r");
  if (b == std::string::npos) return "";
  return s.substr(b, s.find_last_not_of(" \t\r") - b + 1);
}

std::string field(const std::vector<std::pair<std::string, std::string>>& stanza, const std::string& key) {
  for (const auto& [k, v] : stanza)
    if (k == key) return v;
  return "";
}

}  // namespace

int64_t countWords(const std::string& text) {
  std::istringstream in(text);
  std::string w;
  int64_t n = 0;
  while (in >> w) ++n;
  return n;
}

std::vector<std::vector<std::pair<std::string, std::string>>> parseStanzas(const std::string& text) {
  std::vector<std::vector<std::pair<std::string, std::string>>> out;
  std::vector<std::pair<std::string, std::string>> cur;
  std::istringstream in(text);
  std::string line;
  while (std::getline(in, line)) {
    if (!line.empty() && line.back() == '\r') line.pop_back();
    if (line.empty()) {
      if (!cur.empty()) out.push_back(std::move(cur));
      cur.clear();
      continue;
    }
    if ((line[0] == ' ' || line[0] == '\t') && !cur.empty()) {
      cur.back().second += "\n" + line;
      continue;
    }
    const auto colon = line.find(':');
    if (colon == std::string::npos) continue;  // not a field: ignore, as APT does
    cur.emplace_back(line.substr(0, colon), trim(line.substr(colon + 1)));
  }
  if (!cur.empty()) out.push_back(std::move(cur));
  return out;
}

std::string descriptionBody(const std::string& continuation) {
  std::vector<std::string> paragraphs;
  std::string para;
  auto flush = [&] {
    if (!para.empty()) paragraphs.push_back(para);
    para.clear();
  };
  std::istringstream in(continuation);
  std::string line;
  bool lastVerbatim = false;
  while (std::getline(in, line)) {
    if (line.empty()) continue;
    if (line == " ." || trim(line) == ".") {
      flush();
      lastVerbatim = false;
    } else if (line.rfind("  ", 0) == 0) {  // verbatim: its own line, one leading space dropped
      para += (para.empty() ? "" : "\n") + line.substr(1);
      lastVerbatim = true;
    } else {
      const std::string t = trim(line);
      if (t.empty()) continue;
      para += (para.empty() ? "" : lastVerbatim ? "\n" : " ") + t;
      lastVerbatim = false;
    }
  }
  flush();
  std::string out;
  for (size_t i = 0; i < paragraphs.size(); ++i) out += (i ? "\n" : "") + paragraphs[i];
  return out;
}

bool isBoilerplate(const std::string& synopsis, const std::string& body) {
  const std::string s = lower(synopsis + "\n" + body);
  for (const char* marker : {"transitional package", "transitional dummy", "dummy package", "dummy transitional", "debug symbols",
                             "debugging symbols", "metapackage", "meta-package", "meta package"})
    if (s.find(marker) != std::string::npos) return true;
  return false;
}

uint64_t splitHash(const std::string& text) {
  uint64_t h = 1469598103934665603ull;
  for (unsigned char c : text) h = (h ^ c) * 1099511628211ull;
  return h;
}

std::string splitFor(const std::string& sourcePackage) {
  const uint64_t bucket = splitHash(sourcePackage) % 100;
  return bucket == 0 ? "test" : bucket == 1 ? "valid" : "train";
}

std::vector<DebianPair> buildDebianDataset(const std::vector<std::string>& translationTexts, const std::vector<std::string>& packagesTexts,
                                           DebianDatasetStats& stats, int64_t minWords) {
  stats = DebianDatasetStats{};
  std::map<std::pair<std::string, std::string>, std::string> sourceOf;  // (package, md5) -> source
  for (const auto& text : packagesTexts)
    for (const auto& st : parseStanzas(text)) {
      const std::string pkg = field(st, "Package");
      if (pkg.empty()) continue;
      std::string src = field(st, "Source");
      src = src.empty() ? pkg : src.substr(0, src.find(' '));  // "foo (1.2-3)" -> "foo"
      sourceOf[{pkg, field(st, "Description-md5")}] = src;
    }

  // Collect, then order by package so dedupe keeps a deterministic first occurrence.
  std::map<std::pair<std::string, std::string>, std::pair<std::string, std::string>> entries;  // (pkg, md5) -> (synopsis, body)
  for (const auto& text : translationTexts)
    for (const auto& st : parseStanzas(text)) {
      const std::string pkg = field(st, "Package");
      if (pkg.empty()) continue;
      ++stats.descriptions;
      const std::string desc = field(st, "Description-en");
      const auto nl = desc.find('\n');
      entries[{pkg, field(st, "Description-md5")}] = {trim(desc.substr(0, nl)), nl == std::string::npos ? "" : desc.substr(nl + 1)};
    }
  stats.descriptions = int64_t(entries.size());

  std::vector<DebianPair> out;
  std::unordered_set<std::string> seen;
  std::set<std::string> sources;
  for (const auto& [key, value] : entries) {
    const auto& [synopsis, raw] = value;
    const std::string body = descriptionBody(raw);
    if (synopsis.empty() || body.empty()) {
      ++stats.droppedEmpty;
      continue;
    }
    if (countWords(body) < minWords) {
      ++stats.droppedShort;
      continue;
    }
    if (isBoilerplate(synopsis, body)) {
      ++stats.droppedBoilerplate;
      continue;
    }
    if (!seen.insert(body).second) {
      ++stats.droppedDuplicate;
      continue;
    }
    auto it = sourceOf.find(key);
    if (it == sourceOf.end()) ++stats.unjoined;
    DebianPair p{body, synopsis, key.first, it == sourceOf.end() ? key.first : it->second, ""};
    p.split = splitFor(p.sourcePackage);
    (p.split == "train" ? stats.train : p.split == "valid" ? stats.valid : stats.test)++;
    sources.insert(p.sourcePackage);
    out.push_back(std::move(p));
  }
  stats.sourcePackages = int64_t(sources.size());
  return out;
}

}  // namespace gt
