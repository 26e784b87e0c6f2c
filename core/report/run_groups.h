// `greentrainer compare --group`: runs that differ only by a trailing seed suffix ("-seed43",
// "-s2") form one row with the mean and sample standard deviation of every column, so seeded
// repeats of a method read as "27.29 ± 0.29 (n = 3)".
#pragma once
#include <optional>
#include <string>
#include <vector>

#include "core/report/comparison.h"

namespace gt {

struct GroupedRow {
  std::string group, method;
  std::optional<double> rho;
  int64_t runs = 0;
  struct Stat {
    double mean = 0, sd = 0;  // sd: sample standard deviation (n - 1); 0 for one value
    int64_t count = 0;        // runs that have the value (0: the column is empty)
  };
  Stat pflops, flopsPercent, seconds, timePercent, rouge1, rouge2, rougeL;
  Stat energyKj, energyPercent;  // columns only when some run measured its energy
};

// The run name without its seed suffix: "gt-0.5-seed43" -> "gt-0.5"; others unchanged.
std::string groupName(const std::string& run);

// Groups in order of first appearance. Throws gt::Error when a group mixes methods or rho values.
std::vector<GroupedRow> groupRows(const std::vector<ComparisonRow>& rows);
std::string groupedMarkdown(const std::vector<GroupedRow>& rows);
std::string groupedCsv(const std::vector<GroupedRow>& rows);

}  // namespace gt
