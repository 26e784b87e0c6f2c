#include "core/report/comparison.h"

#include <cstdio>
#include <sstream>

namespace gt {
namespace {

std::string methodName(const std::string& m) {
  if (m == "full") return "Full FT";
  if (m == "top2") return "FT-Top2";
  if (m == "lora") return "LoRA";
  if (m == "prefix") return "Prefix-T";
  if (m == "gt") return "GreenTrainer";
  return m;
}

std::string fixed(double v, int digits) {
  char buf[64];
  std::snprintf(buf, sizeof buf, "%.*f", digits, v);
  return buf;
}

std::string opt(const std::optional<double>& v, int digits, const char* none = "-") { return v ? fixed(*v, digits) : none; }

std::vector<std::vector<std::string>> cells(const std::vector<ComparisonRow>& rows) {
  std::vector<std::vector<std::string>> out;
  for (const auto& r : rows)
    out.push_back({r.run, r.method, opt(r.rho, 2), fixed(r.pflops, 4), fixed(r.flopsPercent, 1), fixed(r.seconds, 1),
                   opt(r.timePercent, 1), opt(r.rouge1, 2), opt(r.rouge2, 2), opt(r.rougeL, 2)});
  return out;
}

const std::vector<std::string> kHeader = {"run", "method", "rho", "PFLOPs", "FLOPs %", "time (s)", "time %", "ROUGE-1", "ROUGE-2", "ROUGE-L"};

}  // namespace

std::vector<ComparisonRow> compareRuns(const std::vector<std::pair<std::string, RunRecord>>& runs) {
  const RunRecord* full = nullptr;
  for (const auto& [name, r] : runs)
    if (r.config.value("method", "") == "full") {
      full = &r;
      break;
    }
  std::vector<ComparisonRow> rows;
  for (const auto& [name, r] : runs) {
    ComparisonRow row;
    row.run = name;
    const std::string method = r.config.value("method", "");
    row.method = methodName(method);
    if (method == "gt") row.rho = r.config.value("rho", 0.0);
    const double flops = r.totalFlops + r.importanceFlops;
    row.pflops = flops / 1e15;
    const double fullFlops = full ? full->totalFlops : r.totalFlopsFull;
    row.flopsPercent = fullFlops > 0 ? 100 * flops / fullFlops : 0;
    row.seconds = r.wallSeconds;
    if (full && full->wallSeconds > 0) row.timePercent = 100 * r.wallSeconds / full->wallSeconds;
    if (!r.generationEvals.empty()) {
      const auto& g = r.generationEvals.back();
      row.rouge1 = 100 * g.rouge1;
      row.rouge2 = 100 * g.rouge2;
      row.rougeL = 100 * g.rougeL;
    }
    rows.push_back(row);
  }
  return rows;
}

std::string comparisonMarkdown(const std::vector<ComparisonRow>& rows) {
  std::ostringstream out;
  out << "|";
  for (const auto& h : kHeader) out << " " << h << " |";
  out << "\n|";
  for (size_t i = 0; i < kHeader.size(); ++i) out << (i < 2 ? " --- |" : " ---: |");
  out << "\n";
  for (const auto& row : cells(rows)) {
    out << "|";
    for (const auto& c : row) out << " " << c << " |";
    out << "\n";
  }
  return out.str();
}

std::string comparisonCsv(const std::vector<ComparisonRow>& rows) {
  std::ostringstream out;
  out << "run,method,rho,pflops,flops_percent,seconds,time_percent,rouge1,rouge2,rougeL\n";
  for (const auto& r : rows) {
    std::string run = r.run;
    if (run.find_first_of(",\"\n") != std::string::npos) {
      std::string quoted = "\"";
      for (char ch : run) quoted += ch == '"' ? std::string("\"\"") : std::string(1, ch);
      run = quoted + "\"";
    }
    out << run << "," << r.method << "," << opt(r.rho, 2, "") << "," << fixed(r.pflops, 6) << "," << fixed(r.flopsPercent, 2) << ","
        << fixed(r.seconds, 2) << "," << opt(r.timePercent, 2, "") << "," << opt(r.rouge1, 2, "") << "," << opt(r.rouge2, 2, "") << ","
        << opt(r.rougeL, 2, "") << "\n";
  }
  return out.str();
}

std::string comparisonText(const std::vector<ComparisonRow>& rows) {
  auto table = cells(rows);
  table.insert(table.begin(), kHeader);
  std::vector<size_t> width(kHeader.size(), 0);
  for (const auto& row : table)
    for (size_t i = 0; i < row.size(); ++i) width[i] = std::max(width[i], row[i].size());
  std::ostringstream out;
  for (const auto& row : table) {
    for (size_t i = 0; i < row.size(); ++i) {
      const std::string pad(width[i] - row[i].size(), ' ');
      out << (i < 2 ? row[i] + pad : pad + row[i]) << (i + 1 < row.size() ? "  " : "");
    }
    out << "\n";
  }
  return out.str();
}

}  // namespace gt
