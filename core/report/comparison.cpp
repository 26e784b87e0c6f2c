#include "core/report/comparison.h"

#include <cstdio>
#include <sstream>

#include "core/util/error.h"

namespace gt {
namespace {

// The model a record trained, as far as the record says: type and sizes.
std::string modelSummary(const RunRecord& r) {
  std::string s = r.model.value("model_type", std::string("?"));
  for (const char* key : {"parameters", "layers", "hidden_size", "vocab_size"})
    if (r.model.contains(key)) s += std::string(", ") + key + " " + r.model[key].dump();
  return s;
}

bool sameModel(const RunRecord& a, const RunRecord& b) {
  if (a.model.value("model_type", std::string()) != b.model.value("model_type", std::string())) return false;
  for (const char* key : {"parameters", "layers", "hidden_size", "vocab_size"})
    if (a.model.contains(key) && b.model.contains(key) && a.model[key] != b.model[key]) return false;
  return true;
}

std::string methodName(const std::string& m) {
  if (m == "full") return "Full FT";
  if (m == "top2") return "FT-Top2";
  if (m == "top-blocks") return "Top blocks";
  if (m == "lisa") return "LISA";
  if (m == "badam") return "BAdam";
  if (m == "lora") return "LoRA";
  if (m == "prefix") return "Prefix-T";
  if (m == "gt") return "GreenTrainer";
  return m;
}


std::string opt(const std::optional<double>& v, int digits, const char* none = "-") { return v ? fixedDigits(*v, digits) : none; }

bool anyNote(const std::vector<ComparisonRow>& rows) {
  for (const auto& r : rows)
    if (!r.note.empty()) return true;
  return false;
}

bool anyMfu(const std::vector<ComparisonRow>& rows) {
  for (const auto& r : rows)
    if (r.mfuPercent) return true;
  return false;
}

bool anyEnergy(const std::vector<ComparisonRow>& rows) {
  for (const auto& r : rows)
    if (r.energyKj) return true;
  return false;
}

double stepSeconds(const RunRecord& r) {
  double ms = 0;
  for (const auto& s : r.steps) ms += s.forwardMs + s.backwardMs + s.optimizerMs;
  return ms / 1000;
}

// The table's cells; the "note" column only when some row is marked.
std::vector<std::vector<std::string>> cells(const std::vector<ComparisonRow>& rows) {
  std::vector<std::vector<std::string>> out;
  for (const auto& r : rows) {
    out.push_back({r.run, r.method, opt(r.rho, 2), fixedDigits(r.pflops, 4), fixedDigits(r.flopsPercent, 1), fixedDigits(r.seconds, 1),
                   opt(r.timePercent, 1), opt(r.rouge1, 2), opt(r.rouge2, 2), opt(r.rougeL, 2)});
    if (anyMfu(rows)) out.back().push_back(opt(r.mfuPercent, 1));
    if (anyEnergy(rows)) {
      out.back().push_back(opt(r.energyKj, 2));
      out.back().push_back(opt(r.energyPercent, 1));
    }
    if (anyNote(rows)) out.back().push_back(r.note.empty() ? "-" : r.note);
  }
  return out;
}

std::vector<std::string> header(const std::vector<ComparisonRow>& rows) {
  std::vector<std::string> h = {"run", "method", "rho", "PFLOPs", "FLOPs %", "time (s)", "time %", "ROUGE-1", "ROUGE-2", "ROUGE-L"};
  if (anyMfu(rows)) h.push_back("MFU %");
  if (anyEnergy(rows)) {
    h.push_back("energy (kJ)");
    h.push_back("energy %");
  }
  if (anyNote(rows)) h.push_back("note");
  return h;
}

}  // namespace

std::string fixedDigits(double v, int digits) {
  char buf[64];
  std::snprintf(buf, sizeof buf, "%.*f", digits, v);
  return buf;
}

std::string energyText(double joules) {
  if (joules < 1e3) return fixedDigits(joules, 1) + " J";
  if (joules < 1e6) return fixedDigits(joules / 1e3, 2) + " kJ";
  return fixedDigits(joules / 1e6, 2) + " MJ";
}

std::string energySummary(double joules, const std::vector<std::pair<std::string, double>>& sources, const std::string& note) {
  if (joules < 0) return "energy: not measured (" + note + ")";
  std::string line = "energy: " + energyText(joules);
  for (size_t i = 0; i < sources.size(); ++i) line += (i == 0 ? " (" : ", ") + sources[i].first + " " + energyText(sources[i].second);
  if (!sources.empty()) line += ")";
  if (!note.empty()) line += "; not counted: " + note;
  return line;
}

std::vector<ComparisonRow> compareRuns(const std::vector<std::pair<std::string, RunRecord>>& runs, bool allowMixed) {
  const RunRecord* full = nullptr;
  std::string fullName;
  for (const auto& [name, r] : runs)
    if (r.config.value("method", "") == "full" && (r.status == "finished" || allowMixed)) {
      full = &r;
      fullName = name;
      break;
    }
  for (const auto& [name, r] : runs)
    check(allowMixed || r.config.value("method", "") != "full" || r.status == "finished",
          name + ": the Full FT baseline did not finish (status " + r.status + "); pass --allow-mixed to compare against it anyway");
  std::vector<ComparisonRow> rows;
  for (const auto& [name, r] : runs) {
    ComparisonRow row;
    row.run = name;
    auto addNote = [&row](const std::string& text) { row.note += (row.note.empty() ? "" : ", ") + text; };
    if (r.status != "finished") addNote(r.status);
    if (full && !sameModel(r, *full)) {
      check(allowMixed, name + ": trained another model (" + modelSummary(r) + ") than the Full FT baseline " + fullName + " (" +
                            modelSummary(*full) + "); pass --allow-mixed to compare them anyway");
      addNote("other model");
    }
    // Wall times compare only between runs on the same device in the same precision.
    if (full && r.precision != full->precision) addNote("precision " + r.precision);
    if (full && r.deviceName != full->deviceName) addNote("device " + (r.deviceName.empty() ? std::string("unknown") : r.deviceName));
    const std::string method = r.config.value("method", "");
    row.method = methodName(method);
    if (method == "gt") row.rho = r.config.value("rho", 0.0);
    const double flops = r.totalFlops + r.importanceFlops;
    row.pflops = flops / 1e15;
    const double fullFlops = full ? full->totalFlops : r.totalFlopsFull;
    row.flopsPercent = fullFlops > 0 ? 100 * flops / fullFlops : 0;
    row.seconds = r.wallSeconds;
    if (full && full->wallSeconds > 0) row.timePercent = 100 * r.wallSeconds / full->wallSeconds;
    const double busy = stepSeconds(r);
    if (r.devicePeakFlops > 0 && busy > 0) row.mfuPercent = 100 * r.totalFlops / busy / r.devicePeakFlops;
    if (r.energyJoules >= 0) {
      row.energyKj = r.energyJoules / 1e3;
      // Energy, like time, compares only on the same device.
      if (full && full->energyJoules > 0 && r.deviceName == full->deviceName) row.energyPercent = 100 * r.energyJoules / full->energyJoules;
    }
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
  const auto h = header(rows);
  out << "|";
  for (const auto& name : h) out << " " << name << " |";
  out << "\n|";
  for (size_t i = 0; i < h.size(); ++i) out << (i < 2 || h[i] == "note" ? " --- |" : " ---: |");
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
  const bool notes = anyNote(rows);
  const bool mfu = anyMfu(rows);
  const bool energy = anyEnergy(rows);
  out << "run,method,rho,pflops,flops_percent,seconds,time_percent,rouge1,rouge2,rougeL" << (mfu ? ",mfu_percent" : "")
      << (energy ? ",energy_kj,energy_percent" : "") << (notes ? ",note\n" : "\n");
  for (const auto& r : rows) {
    std::string run = r.run;
    if (run.find_first_of(",\"\n") != std::string::npos) {
      std::string quoted = "\"";
      for (char ch : run) quoted += ch == '"' ? std::string("\"\"") : std::string(1, ch);
      run = quoted + "\"";
    }
    out << run << "," << r.method << "," << opt(r.rho, 2, "") << "," << fixedDigits(r.pflops, 6) << "," << fixedDigits(r.flopsPercent, 2) << ","
        << fixedDigits(r.seconds, 2) << "," << opt(r.timePercent, 2, "") << "," << opt(r.rouge1, 2, "") << "," << opt(r.rouge2, 2, "") << ","
        << opt(r.rougeL, 2, "");
    if (mfu) out << "," << opt(r.mfuPercent, 2, "");
    if (energy) out << "," << opt(r.energyKj, 3, "") << "," << opt(r.energyPercent, 2, "");
    if (notes) out << "," << r.note;
    out << "\n";
  }
  return out.str();
}

std::string comparisonText(const std::vector<ComparisonRow>& rows) {
  auto table = cells(rows);
  table.insert(table.begin(), header(rows));
  std::vector<size_t> width(table.front().size(), 0);
  for (const auto& row : table)
    for (size_t i = 0; i < row.size(); ++i) width[i] = std::max(width[i], row[i].size());
  std::ostringstream out;
  for (const auto& row : table) {
    for (size_t i = 0; i < row.size(); ++i) {
      const std::string pad(width[i] - row[i].size(), ' ');
      out << (i < 2 || table.front()[i] == "note" ? row[i] + pad : pad + row[i]) << (i + 1 < row.size() ? "  " : "");
    }
    out << "\n";
  }
  return out.str();
}

}  // namespace gt
