// greentrainer compare RUN_DIR... [--csv OUT] [--markdown]
// The paper's Table 2 from run records: method, rho, training FLOPs and time vs Full FT, ROUGE.
#include <iostream>

#include "app/cli/common_options.h"
#include "core/report/comparison.h"
#include "core/report/run_groups.h"
#include "core/util/atomic_file.h"
#include "core/util/error.h"

namespace gt::cli {

Command compareCommand() {
  return {"compare", "Tabulate run records side by side (FLOPs, time and ROUGE vs Full FT)", [](CLI::App& cmd) {
            struct Args {
              std::vector<std::string> runs;
              std::string csv;
              bool markdown = false;
              bool allowMixed = false;
              bool group = false;
            };
            auto a = std::make_shared<Args>();
            cmd.add_option("RUN_DIR", a->runs, "Run folders (or their run.json files)")->required();
            cmd.add_option("--csv", a->csv, "Also write the table to this CSV file");
            cmd.add_flag("--markdown", a->markdown, "Print a Markdown table");
            cmd.add_flag("--group", a->group, "One row per method over seeded repeats (NAME-seedN, NAME-sN): mean ± sample sd, n");
            cmd.add_flag("--allow-mixed", a->allowMixed,
                         "Also compare against a Full FT run that did not finish, and runs of other models (marked in a note column)");
            return std::function<void()>([a] {
              std::vector<std::pair<std::string, RunRecord>> records;
              for (const auto& run : a->runs) records.push_back(loadRunArgument(run));
              const auto rows = compareRuns(records, a->allowMixed);
              if (a->group) {
                const auto groups = groupRows(rows);
                if (!a->csv.empty()) writeTextAtomically(a->csv, groupedCsv(groups));
                std::cout << groupedMarkdown(groups);
              } else {
                if (!a->csv.empty()) writeTextAtomically(a->csv, comparisonCsv(rows));
                std::cout << (a->markdown ? comparisonMarkdown(rows) : comparisonText(rows));
              }
              bool anyFull = false;
              for (const auto& [name, r] : records) anyFull |= r.config.value("method", "") == "full";
              if (!anyFull)
                std::cout << "(no Full FT run given: FLOPs % is against each run's predicted Full FT FLOPs; time % is left out)\n";
            });
          }};
}

}  // namespace gt::cli
