// greentrainer selections RUN_DIR... [--json]
// Why a GreenTrainer run trained what it trained: per selection, the importance the chosen tensors
// carry, the backward budget spent on reach vs weight gradients, the layers trained, the most
// important tensor and the change since the previous selection; over the run, the parameter updates
// made as a share of Full FT's (core/report/selection_report.h).
#include <iostream>

#include "app/cli/common_options.h"
#include "core/report/selection_report.h"

namespace gt::cli {

Command selectionsCommand() {
  return {"selections", "Explain a GreenTrainer run's tensor selections (importance taken, budget spent on reach vs dw, layers)",
          [](CLI::App& cmd) {
            auto runs = std::make_shared<std::vector<std::string>>();
            auto o = std::make_shared<CommonOptions>();
            cmd.add_option("RUN_DIR", *runs, "Run folders of --method gt runs (or their run.json files)")->required();
            addJsonOption(cmd, *o);
            return std::function<void()>([runs, o] {
              nlohmann::ordered_json all = nlohmann::ordered_json::array();
              std::string text;
              for (const auto& run : *runs) {
                const auto [name, record] = loadRunArgument(run);
                const auto rows = summariseSelections(record, name);
                if (o->json) all.push_back(selectionReportJson(name, record, rows));
                else text += (text.empty() ? "" : "\n") + selectionReportMarkdown(name, record, rows);
              }
              if (o->json) std::cout << all.dump(2) << "\n";
              else std::cout << text;
            });
          }};
}

}  // namespace gt::cli
