// greentrainer bench: performance benchmarks that print ratios measured side by side in one run.
//   selector: `exact` vs `paper` on N = 516 tensors, T_q = 1000.
//   step:     wall time of a GreenTrainer step at rho 0.5 vs a Full FT step on a random-init
//             Llama of ~27M parameters, against the predicted FLOPs ratio.
#include <nlohmann/json.hpp>

#include <malloc.h>

#include <algorithm>
#include <chrono>
#include <iostream>
#include <random>

#include "app/cli/common_options.h"
#include "core/green/flops_measurement.h"
#include "core/green/flops_profiler.h"
#include "core/green/importance.h"
#include "core/green/selector.h"
#include "core/model/model_factory.h"
#include "core/train/adamw.h"
#include "core/util/error.h"

namespace gt::cli {
namespace {

using Clock = std::chrono::steady_clock;

double median(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  return v[v.size() / 2];
}

SelectionProblem chainInstance(size_t n, std::mt19937_64& rng) {
  std::uniform_real_distribution<double> u(0, 1);
  SelectionProblem p;
  double reach = 0, dwSum = 0;
  for (size_t i = 0; i < n; ++i) {
    if (i == 0 || u(rng) < 0.6) reach += 1 + 9 * u(rng);  // new level
    const double dw = u(rng) < 0.5 ? 0.01 : 1 + 9 * u(rng);
    dwSum += dw;
    p.tensors.push_back({"t" + std::to_string(i), dw, reach, u(rng)});
  }
  p.tFp = reach + 0.5 * dwSum;
  p.tFull = p.tFp + reach + dwSum;
  p.rho = 0.5;
  p.tq = 1000;
  return p;
}

void benchSelector(nlohmann::ordered_json& out) {
  std::mt19937_64 rng(7);
  const auto p = chainInstance(516, rng);
  std::vector<double> exactMs;
  SelectionResult exact;
  for (int i = 0; i < 21; ++i) {
    exact = selectTensors(p, "exact");
    exactMs.push_back(exact.timeMs);
  }
  const auto paper = selectTensors(p, "paper");
  out["selector"] = {{"tensors", 516}, {"tq", 1000}, {"exact_ms_median", median(exactMs)}, {"paper_ms", paper.timeMs},
                     {"paper_over_exact_time", paper.timeMs / median(exactMs)}, {"exact_objective", exact.objective},
                     {"paper_objective", paper.objective}};
  std::cout << "selector (N=516, T_q=1000): exact " << median(exactMs) << " ms (median of 21), paper " << paper.timeMs
            << " ms; paper/exact time " << paper.timeMs / median(exactMs) << "; objective exact " << exact.objective << " vs paper "
            << paper.objective << "\n";
}

void benchStep(nlohmann::ordered_json& out, int rounds, int64_t batch, int64_t seq) {
  torch::manual_seed(0);
  const auto config = ModelConfig::fromJson(
      {{"model_type", "llama"}, {"vocab_size", 8192}, {"hidden_size", 512}, {"num_hidden_layers", 8}, {"num_attention_heads", 8},
       {"num_key_value_heads", 4}, {"intermediate_size", 1408}, {"tie_word_embeddings", true}},
      "bench llama");
  auto model = createModel(config);
  int64_t params = 0;
  std::vector<std::pair<std::string, torch::Tensor>> named;
  for (const auto& p : model->named_parameters(true)) params += p.value().numel(), named.emplace_back(p.key(), p.value());
  const FlopsProfile profile = profileFlops(config, batch, seq);
  auto ids = torch::randint(0, config.vocabSize, {batch, seq}, torch::kLong);
  Batch b{ids, torch::ones_like(ids), ids};
  AdamW opt(named, {1e-4, 0.9, 0.999, 1e-8, 0.01});
  // Importance pass peak memory with and without early stop (free memory returned to the OS
  // first, so each pass's peak RSS is its own).
  malloc_trim(0);
  const auto noStop = computeImportance(*model, opt, profile, profile.tensors.size(), b, {});
  malloc_trim(0);
  const auto imp = computeImportance(*model, opt, profile, earlyStopCutoff(profile, 0.5), b, {});
  out["importance_memory"] = {{"early_stop_peak_bytes", imp.peakExtraBytes}, {"no_early_stop_peak_bytes", noStop.peakExtraBytes},
                              {"cutoff", imp.cutoff}, {"tensors", profile.tensors.size()}};
  std::cout << "importance pass at rho 0.5: early stop after " << imp.cutoff << "/" << profile.tensors.size() << " tensors, peak "
            << imp.peakExtraBytes / 1e6 << " MB above the start vs " << noStop.peakExtraBytes / 1e6 << " MB without early stop\n";
  SelectionProblem problem{profile.forward.total(), profile.full.total(), 0.5, 1000, {}};
  for (size_t i = 0; i < profile.tensors.size(); ++i)
    problem.tensors.push_back({profile.tensors[i].name, profile.tensors[i].dw.total(), profile.tensors[i].reach.total(), imp.scaled[i]});
  const auto gtMask = selectTensors(problem).mask;
  const std::vector<bool> fullMask(profile.tensors.size(), true);

  auto step = [&](const std::vector<bool>& mask) {
    applyMask(*model, profile, mask);
    const auto t0 = Clock::now();
    causalLmLoss(model->forward(ids), ids).backward();
    opt.step();
    opt.zeroGrad();
    return std::chrono::duration<double>(Clock::now() - t0).count();
  };
  for (int i = 0; i < 2; ++i) step(fullMask), step(gtMask);  // warm-up
  std::vector<double> full, green;
  for (int i = 0; i < rounds; ++i) {  // interleaved, so drift on a shared machine hits both
    full.push_back(step(fullMask));
    green.push_back(step(gtMask));
  }
  for (auto& p : model->parameters()) p.set_requires_grad(true);
  const double measured = median(green) / median(full);
  const double predicted = profile.stepFlops(gtMask).total() / profile.full.total();
  int selected = 0;
  for (bool m : gtMask) selected += m;
  out["step"] = {{"parameters", params}, {"batch", batch}, {"seq", seq}, {"rounds", rounds}, {"full_s_median", median(full)},
                 {"gt_s_median", median(green)}, {"measured_ratio", measured}, {"predicted_flops_ratio", predicted},
                 {"difference", measured - predicted}, {"selected_tensors", selected}, {"tensors", int(gtMask.size())}};
  std::cout << "step (llama " << params / 1e6 << "M params, batch " << batch << " x seq " << seq << ", rho 0.5, " << selected << "/"
            << gtMask.size() << " tensors): Full FT " << median(full) << " s, GT " << median(green) << " s; measured ratio " << measured
            << ", predicted FLOPs ratio " << predicted << ", difference " << measured - predicted << "\n";
}

}  // namespace

Command benchCommand() {
  return {"bench", "Run the performance benchmarks (ratios measured side by side)", [](CLI::App& cmd) {
            struct Args {
              std::string only = "all";
              int rounds = 8;
              int64_t batch = 4, seq = 128;
              CommonOptions o;
            };
            auto a = std::make_shared<Args>();
            cmd.add_option("--only", a->only, "selector, step or all")->capture_default_str();
            cmd.add_option("--rounds", a->rounds, "Timed rounds per method in the step benchmark")->capture_default_str();
            cmd.add_option("--batch", a->batch, "Step benchmark batch size")->capture_default_str();
            cmd.add_option("--seq", a->seq, "Step benchmark sequence length")->capture_default_str();
            cmd.add_option("--threads", a->o.threads, "Intra-op CPU threads (0: LibTorch's default)");
            addJsonOption(cmd, a->o);
            return std::function<void()>([a] {
              applyCommonOptions(a->o);
              check(a->only == "all" || a->only == "selector" || a->only == "step", "--only: expected selector, step or all");
              check(a->rounds >= 1, "--rounds must be at least 1");
              nlohmann::ordered_json out;
              if (a->only != "step") benchSelector(out);
              if (a->only != "selector") benchStep(out, a->rounds, a->batch, a->seq);
              if (a->o.json) std::cout << out.dump(2) << "\n";
            });
          }};
}

}  // namespace gt::cli
