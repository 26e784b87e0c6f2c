#include "core/report/run_groups.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <regex>
#include <sstream>

#include "core/util/error.h"

namespace gt {
namespace {

GroupedRow::Stat stat(const std::vector<double>& values) {
  GroupedRow::Stat s;
  s.count = int64_t(values.size());
  if (values.empty()) return s;
  for (double v : values) s.mean += v;
  s.mean /= double(values.size());
  if (values.size() > 1) {
    double sq = 0;
    for (double v : values) sq += (v - s.mean) * (v - s.mean);
    s.sd = std::sqrt(sq / double(values.size() - 1));
  }
  return s;
}

std::string cell(const GroupedRow::Stat& s, int digits) {
  if (s.count == 0) return "-";
  return s.count == 1 ? fixedDigits(s.mean, digits) : fixedDigits(s.mean, digits) + " ± " + fixedDigits(s.sd, digits);
}

bool anyGroupEnergy(const std::vector<GroupedRow>& rows) {
  for (const auto& r : rows)
    if (r.energyKj.count > 0) return true;
  return false;
}

}  // namespace

std::string groupName(const std::string& run) {
  static const std::regex seedSuffix(R"(^(.*)-(?:seed|s)\d+$)");
  std::smatch m;
  return std::regex_match(run, m, seedSuffix) ? m[1].str() : run;
}

std::vector<GroupedRow> groupRows(const std::vector<ComparisonRow>& rows) {
  std::vector<std::string> order;
  std::vector<std::vector<const ComparisonRow*>> members;
  for (const auto& r : rows) {
    const std::string g = groupName(r.run);
    auto it = std::find(order.begin(), order.end(), g);
    if (it == order.end()) {
      order.push_back(g);
      members.emplace_back();
      it = order.end() - 1;
    }
    auto& m = members[size_t(it - order.begin())];
    if (!m.empty())
      check(m.front()->method == r.method && m.front()->rho == r.rho,
            "group " + g + ": " + m.front()->run + " and " + r.run + " are different methods or rho; name seeded repeats NAME-seedN");
    m.push_back(&r);
  }
  std::vector<GroupedRow> out;
  for (size_t i = 0; i < order.size(); ++i) {
    GroupedRow g;
    g.group = order[i];
    g.method = members[i].front()->method;
    g.rho = members[i].front()->rho;
    g.runs = int64_t(members[i].size());
    auto collect = [&](auto field) {
      std::vector<double> v;
      for (const auto* r : members[i])
        if (const std::optional<double> x = field(*r)) v.push_back(*x);
      return stat(v);
    };
    g.pflops = collect([](const ComparisonRow& r) { return std::optional<double>(r.pflops); });
    g.flopsPercent = collect([](const ComparisonRow& r) { return std::optional<double>(r.flopsPercent); });
    g.seconds = collect([](const ComparisonRow& r) { return std::optional<double>(r.seconds); });
    g.timePercent = collect([](const ComparisonRow& r) { return r.timePercent; });
    g.rouge1 = collect([](const ComparisonRow& r) { return r.rouge1; });
    g.rouge2 = collect([](const ComparisonRow& r) { return r.rouge2; });
    g.rougeL = collect([](const ComparisonRow& r) { return r.rougeL; });
    g.energyKj = collect([](const ComparisonRow& r) { return r.energyKj; });
    g.energyPercent = collect([](const ComparisonRow& r) { return r.energyPercent; });
    out.push_back(g);
  }
  return out;
}

std::string groupedMarkdown(const std::vector<GroupedRow>& rows) {
  std::ostringstream out;
  const bool energy = anyGroupEnergy(rows);
  out << "| runs | method | rho | n | PFLOPs | FLOPs % | time (s) | time % | ROUGE-1 | ROUGE-2 | ROUGE-L |" << (energy ? " energy (kJ) | energy % |" : "")
      << "\n";
  out << "| --- | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |" << (energy ? " ---: | ---: |" : "") << "\n";
  for (const auto& r : rows) {
    out << "| " << r.group << " | " << r.method << " | " << (r.rho ? fixedDigits(*r.rho, 2) : "-") << " | " << r.runs << " | " << cell(r.pflops, 4)
        << " | " << cell(r.flopsPercent, 1) << " | " << cell(r.seconds, 1) << " | " << cell(r.timePercent, 1) << " | " << cell(r.rouge1, 2)
        << " | " << cell(r.rouge2, 2) << " | " << cell(r.rougeL, 2) << " |";
    if (energy) out << " " << cell(r.energyKj, 2) << " | " << cell(r.energyPercent, 1) << " |";
    out << "\n";
  }
  return out.str();
}

std::string groupedCsv(const std::vector<GroupedRow>& rows) {
  std::ostringstream out;
  out << "runs,method,rho,n";
  const bool energy = anyGroupEnergy(rows);
  for (const char* c : {"pflops", "flops_percent", "seconds", "time_percent", "rouge1", "rouge2", "rougeL", "energy_kj", "energy_percent"})
    if (energy || std::string(c).rfind("energy", 0) != 0) out << "," << c << "," << c << "_sd";
  out << "\n";
  auto pair = [](const GroupedRow::Stat& s, int digits) { return s.count == 0 ? std::string(",") : fixedDigits(s.mean, digits) + "," + fixedDigits(s.sd, digits); };
  for (const auto& r : rows) {
    out << r.group << "," << r.method << "," << (r.rho ? fixedDigits(*r.rho, 2) : "") << "," << r.runs << "," << pair(r.pflops, 6) << ","
        << pair(r.flopsPercent, 2) << "," << pair(r.seconds, 2) << "," << pair(r.timePercent, 2) << "," << pair(r.rouge1, 2) << ","
        << pair(r.rouge2, 2) << "," << pair(r.rougeL, 2);
    if (energy) out << "," << pair(r.energyKj, 3) << "," << pair(r.energyPercent, 2);
    out << "\n";
  }
  return out.str();
}

}  // namespace gt
