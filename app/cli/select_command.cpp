// greentrainer select PROBLEM.json [--solver exact|paper|brute] [--json]
#include <nlohmann/json.hpp>

#include <cmath>
#include <iostream>

#include "app/cli/common_options.h"
#include "core/green/selector.h"
#include "core/util/error.h"
#include "core/util/json_file.h"

namespace gt::cli {

SelectionProblem readProblem(const std::string& path) {
  const auto j = readJsonFile(path);
  auto number = [&](const nlohmann::json& obj, const char* key, const std::string& where) {
    check(obj.contains(key) && obj[key].is_number() && std::isfinite(obj[key].get<double>()), path + ": " + where + "'" + key + "' must be a finite number");
    return obj[key].get<double>();
  };
  check(j.is_object(), path + ": expected a JSON object");
  SelectionProblem p;
  p.tFp = number(j, "t_fp", "");
  p.tFull = number(j, "t_full", "");
  p.rho = number(j, "rho", "");
  check(!j.contains("tq") || (j["tq"].is_number_integer() && j["tq"].get<int64_t>() >= 10 && j["tq"].get<int64_t>() <= 100000),
        path + ": 'tq' must be an integer in [10, 100000]");
  p.tq = j.contains("tq") ? j["tq"].get<int64_t>() : 1000;
  check(j.contains("tensors") && j["tensors"].is_array(), path + ": 'tensors' must be an array");
  for (size_t i = 0; i < j["tensors"].size(); ++i) {
    const auto& t = j["tensors"][i];
    const std::string where = "tensors[" + std::to_string(i) + "].";
    check(t.is_object(), path + ": tensors[" + std::to_string(i) + "] must be an object");
    check(!t.contains("name") || t["name"].is_string(), path + ": " + where + "'name' must be a string");
    p.tensors.push_back({t.value("name", "tensor" + std::to_string(i)), number(t, "dw", where), number(t, "reach", where),
                         number(t, "importance", where)});
  }
  return p;
}

Command selectCommand() {
  return {"select", "Solve a tensor-selection problem (GreenTrainer's DP)", [](CLI::App& cmd) {
            struct Args {
              std::string problem, solver = "exact";
              CommonOptions o;
            };
            auto a = std::make_shared<Args>();
            cmd.add_option("PROBLEM", a->problem, "JSON {t_fp, t_full, rho, tq, tensors: [{name, dw, reach, importance}]}")->required();
            cmd.add_option("--solver", a->solver, "exact, paper or brute")->capture_default_str();
            addJsonOption(cmd, a->o);
            return std::function<void()>([a] {
              const auto p = readProblem(a->problem);
              const auto r = selectTensors(p, a->solver);
              std::vector<int> mask;
              for (bool m : r.mask) mask.push_back(m ? 1 : 0);
              nlohmann::ordered_json j = {{"mask", mask}, {"objective", r.objective}, {"flops", r.flops}, {"fraction", r.fraction},
                                          {"time_ms", r.timeMs}};
              if (a->o.json) {
                std::cout << j.dump() << "\n";
                return;
              }
              std::cout << "solver " << a->solver << ": " << std::count(mask.begin(), mask.end(), 1) << "/" << mask.size()
                        << " tensors, objective " << r.objective << ", " << r.fraction << " of T_full (" << r.flops << " FLOPs), "
                        << r.timeMs << " ms\n";
              for (size_t i = 0; i < mask.size(); ++i)
                if (mask[i]) std::cout << "  " << p.tensors[i].name << "\n";
            });
          }};
}

}  // namespace gt::cli
