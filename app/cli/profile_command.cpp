// greentrainer profile MODEL_DIR --batch B --seq S [--decoder-seq T] [--json OUT] [--verify K]
// (encoder-decoders: --seq is the encoder's length, --decoder-seq the target's)
#include <nlohmann/json.hpp>

#include <fstream>
#include <iomanip>
#include <iostream>
#include <random>

#include "app/cli/common_options.h"
#include "core/green/flops_measurement.h"
#include "core/green/flops_profiler.h"
#include "core/io/checkpoint.h"
#include "core/util/atomic_file.h"
#include "core/util/error.h"

namespace gt::cli {

Command profileCommand() {
  return {"profile", "Per-tensor FLOPs chain (dw, reach, dy) of a model at a batch shape", [](CLI::App& cmd) {
            struct Args {
              std::string dir, jsonOut;
              int64_t batch = 4, seq = 512, decoderSeq = 0;
              int verify = 0;
              uint64_t seed = 0;
              CommonOptions o;
            };
            auto a = std::make_shared<Args>();
            cmd.add_option("MODEL_DIR", a->dir, "Hugging Face model folder")->required();
            cmd.add_option("--batch", a->batch, "Batch size")->capture_default_str();
            cmd.add_option("--seq", a->seq, "Sequence length (tokens per example; encoder-decoders: the encoder's)")->capture_default_str();
            cmd.add_option("--decoder-seq", a->decoderSeq, "Encoder-decoders: the decoder's length (target tokens per example)");
            cmd.add_option("--json", a->jsonOut, "Write the profile as JSON to this file ('-': stdout)");
            cmd.add_option("--verify", a->verify, "Measure K random selections with the LibTorch profiler")->capture_default_str();
            cmd.add_option("--seed", a->seed, "Seed of the random selections")->capture_default_str();
            addModelOptions(cmd, a->o);
            return std::function<void()>([a] {
              applyCommonOptions(a->o);
              check(a->batch >= 1 && a->seq >= 1, "--batch and --seq must be positive");
              check(a->decoderSeq >= 0, "--decoder-seq: expected a positive length (target tokens per example), got " + std::to_string(a->decoderSeq));
              check(a->verify >= 0, "--verify must be >= 0");
              const auto config = ModelConfig::fromFile(std::filesystem::path(a->dir) / "config.json");
              check(config.isEncoderDecoder() || a->decoderSeq == 0, "--decoder-seq applies to encoder-decoders; model_type '" +
                                                                      config.modelType + "' has one sequence");
              check(!config.isEncoderDecoder() || a->decoderSeq >= 1, "--decoder-seq: model_type '" + config.modelType +
                                                                         "' is an encoder-decoder; give the decoder's length (target tokens per example)");
              const FlopsProfile p = profileFlops(config, a->batch, a->seq, false, a->decoderSeq);
              nlohmann::ordered_json j = {{"model_type", config.modelType}, {"batch", a->batch}, {"seq", a->seq},
                                          {"t_fp", p.forward.total()}, {"t_full", p.full.total()},
                                          {"t_fp_matmul", p.forward.matmul}, {"t_full_matmul", p.full.matmul}};
              if (config.isEncoderDecoder()) j["decoder_seq"] = a->decoderSeq;
              auto& tensors = j["tensors"] = nlohmann::ordered_json::array();
              double prev = 0;
              for (const auto& t : p.tensors) {
                tensors.push_back({{"name", t.name}, {"dw", t.dw.total()}, {"reach", t.reach.total()}, {"dy", t.reach.total() - prev},
                                   {"dw_matmul", t.dw.matmul}, {"reach_matmul", t.reach.matmul}});
                prev = t.reach.total();
              }
              if (a->verify > 0) {
                auto model = loadLanguageModel(a->dir);
                std::mt19937_64 rng(a->seed);
                auto ids = torch::randint(0, config.vocabSize, {a->batch, a->seq}, torch::kLong);
                auto targets = torch::randint(0, config.vocabSize, {a->batch, std::max<int64_t>(a->decoderSeq, 1)}, torch::kLong);
                auto measure = [&](const std::vector<bool>& mask) {
                  if (auto* seq2seq = dynamic_cast<Seq2SeqLM*>(model.get())) return measureStepFlops(*seq2seq, p, mask, ids, targets);
                  return measureStepFlops(static_cast<CausalLM&>(*model), p, mask, ids, ids);
                };
                double worst = 0, fullError = 0;
                std::vector<bool> all(p.tensors.size(), true);
                const auto full = measure(all);
                fullError = std::abs(full.total() - p.stepFlops(all).matmul) / full.total();
                for (int k = 0; k < a->verify; ++k) {
                  // A random depth, then each tensor above it with probability 1/2 (at least one).
                  const size_t depth = 1 + size_t(rng() % p.tensors.size());
                  std::vector<bool> mask(p.tensors.size(), false);
                  for (size_t i = 0; i < depth; ++i) mask[i] = rng() % 2;
                  mask[depth - 1] = true;
                  const auto measured = measure(mask);
                  const double predicted = p.stepFlops(mask).matmul;
                  worst = std::max(worst, std::abs(measured.total() - predicted) / measured.total());
                }
                j["verify"] = {{"masks", a->verify}, {"max_rel_error_matmul", worst}, {"t_full_rel_error_matmul", fullError},
                               {"t_full_measured_matmul", full.total()}};
              }
              if (!a->jsonOut.empty()) {
                if (a->jsonOut == "-") std::cout << j.dump(2) << "\n";
                else writeTextAtomically(a->jsonOut, j.dump(2) + "\n");
                if (a->jsonOut == "-") return;
              }
              std::cout << config.modelType << " at batch " << a->batch << " x seq " << a->seq
                        << (config.isEncoderDecoder() ? " (decoder " + std::to_string(a->decoderSeq) + ")" : std::string()) << ": T_fp " << std::scientific
                        << std::setprecision(4) << p.forward.total() << "  T_full " << p.full.total() << " FLOPs (forward share "
                        << std::fixed << std::setprecision(4) << p.forward.total() / p.full.total() << ")\n";
              int width = 24;  // the longest name sets the column (T5's run to 70 characters)
              for (const auto& t : p.tensors) width = std::max(width, int(t.name.size()) + 2);
              std::cout << std::left << std::setw(width) << "tensor (output first)" << std::right << std::setw(14) << "dw" << std::setw(14)
                        << "dy" << std::setw(14) << "reach" << "\n"
                        << std::scientific << std::setprecision(3);
              for (const auto& t : j["tensors"])
                std::cout << std::left << std::setw(width) << t["name"].get<std::string>() << std::right << std::setw(14)
                          << t["dw"].get<double>() << std::setw(14) << t["dy"].get<double>() << std::setw(14) << t["reach"].get<double>()
                          << "\n";
              if (j.contains("verify"))
                std::cout << std::fixed << std::setprecision(6) << "verify: " << a->verify
                          << " random masks, largest relative error of matmul FLOPs " << j["verify"]["max_rel_error_matmul"].get<double>()
                          << "; T_full matmul error " << j["verify"]["t_full_rel_error_matmul"].get<double>() << "\n";
            });
          }};
}

}  // namespace gt::cli
