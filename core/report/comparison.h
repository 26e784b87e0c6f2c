// The paper's Table 2 from run records: one row per run — method, rho, total training FLOPs
// (steps + GreenTrainer's importance passes) and its share of Full FT's, wall time and its share
// of Full FT's, and the final ROUGE-1/2/L. Full FT's numbers come from a `full` run among the
// records when there is one; otherwise FLOPs shares use each record's own predicted Full FT
// FLOPs on the same batches and time shares are left empty. A baseline that did not finish, or
// runs of another model than the baseline's, are refused unless allowMixed; such rows are then
// marked in a "note" column, as are runs in another precision or on another device than the
// baseline (their time % does not compare). An "MFU %" column appears when some record knows its
// device's peak; "energy (kJ)" and "energy %" columns when some record measured its energy.
#pragma once
#include <optional>
#include <string>
#include <vector>

#include "core/report/run_record.h"

namespace gt {

struct ComparisonRow {
  std::string run;     // the run's folder name
  std::string method;  // "Full FT", "FT-Top2", "LoRA", "GreenTrainer"
  std::optional<double> rho;
  double pflops = 0;
  double flopsPercent = 0;
  double seconds = 0;
  std::optional<double> timePercent;
  std::optional<double> rouge1, rouge2, rougeL;  // ×100; absent when the run scored no generation
  // Model FLOPs utilisation, %: the steps' predicted FLOPs over their synchronised time, over the
  // device's peak (absent when the record does not know its device's peak, e.g. on a CPU).
  std::optional<double> mfuPercent;
  // Energy from the record's hardware counters, kJ, and its share of the Full FT baseline's (on the
  // same device only); absent when not measured.
  std::optional<double> energyKj, energyPercent;
  std::string note;  // "cancelled", "other model", ... (empty: comparable)
};

// Throws gt::Error naming the run when the Full FT baseline did not finish or a run trained
// another model (unless allowMixed).
std::vector<ComparisonRow> compareRuns(const std::vector<std::pair<std::string, RunRecord>>& runs, bool allowMixed = false);
std::string comparisonMarkdown(const std::vector<ComparisonRow>& rows);
// `v` with `digits` decimals ("%.*f"), as the tables print numbers.
std::string fixedDigits(double v, int digits);
// Joules as people read them: "845.2 J", "12.35 kJ", "3.41 MJ".
std::string energyText(double joules);
// The summary line of a run's energy, as train and pretrain print it: "energy: 12.35 kJ (RAPL
// package-0 12.35 kJ)[; not counted: NOTE]", or "energy: not measured (NOTE)" for joules < 0.
std::string energySummary(double joules, const std::vector<std::pair<std::string, double>>& sources, const std::string& note);
std::string comparisonCsv(const std::vector<ComparisonRow>& rows);
std::string comparisonText(const std::vector<ComparisonRow>& rows);

}  // namespace gt
