// greentrainer rouge --pairs FILE.jsonl [--stem] [--json]
// Each line {"prediction": ..., "reference": ...}; prints per-line ROUGE-1/2/L F1 and the mean.
#include <cstdio>
#include <fstream>
#include <iostream>
#include <nlohmann/json.hpp>

#include "app/cli/common_options.h"
#include "core/eval/rouge.h"
#include "core/util/error.h"
#include "core/util/json_file.h"

namespace gt::cli {

Command rougeCommand() {
  return {"rouge", "ROUGE-1/2/L F1 of prediction/reference pairs in a JSONL file", [](CLI::App& cmd) {
            struct Args {
              std::string pairs;
              bool stem = false;
              CommonOptions o;
            };
            auto a = std::make_shared<Args>();
            cmd.add_option("--pairs", a->pairs, "JSONL file, one {\"prediction\", \"reference\"} per line")->required();
            cmd.add_flag("--stem", a->stem, "Porter-stem words longer than 3 characters");
            addJsonOption(cmd, a->o);
            return std::function<void()>([a] {
              std::ifstream in(a->pairs, std::ios::binary);
              check(static_cast<bool>(in), a->pairs + ": cannot read");
              std::vector<RougeScores> scores;
              nlohmann::ordered_json rows = nlohmann::ordered_json::array();
              forEachJsonLine(in, a->pairs, [&](const JsonLine& line) {
                const auto& j = line.value;
                for (const char* f : {"prediction", "reference"})
                  check(j.is_object() && j.contains(f) && j[f].is_string(), line.where + ": expected a string field \"" + f + "\"");
                const auto s = rougeScores(j["prediction"].get<std::string>(), j["reference"].get<std::string>(), a->stem);
                scores.push_back(s);
                if (a->o.json) rows.push_back({{"line", line.number}, {"rouge1", s.rouge1}, {"rouge2", s.rouge2}, {"rougeL", s.rougeL}});
                else std::printf("%lld\t%.6f\t%.6f\t%.6f\n", (long long)line.number, s.rouge1, s.rouge2, s.rougeL);
              });
              check(!scores.empty(), a->pairs + ": no pairs");
              const auto m = meanRouge(scores);
              if (a->o.json) {
                std::cout << nlohmann::ordered_json({{"pairs", scores.size()}, {"stem", a->stem}, {"rows", rows},
                                                     {"mean", {{"rouge1", m.rouge1}, {"rouge2", m.rouge2}, {"rougeL", m.rougeL}}}})
                                 .dump()
                          << "\n";
                return;
              }
              std::printf("mean\t%.6f\t%.6f\t%.6f\t(%zu pairs, ROUGE-1/2/L F1%s)\n", m.rouge1, m.rouge2, m.rougeL, scores.size(),
                          a->stem ? ", stemmed" : "");
            });
          }};
}

}  // namespace gt::cli
