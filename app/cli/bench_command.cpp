// greentrainer bench: performance benchmarks that print ratios measured side by side in one run.
//   selector: `exact` vs `paper` on N = 516 tensors, T_q = 1000.
//   attention: at::scaled_dot_product_attention against the eager reference (outputs, gradients).
//   step:     wall time of a GreenTrainer step at rho 0.5 vs a Full FT step on a random-init model
//             (--shape small-llama, opt-350m, opt-1.3b, llama-1b) on --device in --precision,
//             against the predicted FLOPs ratio; tokens/s, MFU and peak memory of each.
//             tests/bench/eager_reference.py prints the same figures for PyTorch eager + transformers.
#include <nlohmann/json.hpp>

#include <malloc.h>

#include <algorithm>
#include <chrono>
#include <iostream>
#include <optional>
#include <random>

#include <torch/cuda.h>
#include <torch/version.h>

#include "app/cli/common_options.h"
#include "core/green/flops_measurement.h"
#include "core/green/flops_profiler.h"
#include "core/green/importance.h"
#include "core/green/selector.h"
#include "core/model/attention.h"
#include "core/model/model_factory.h"
#include "core/io/dtype_name.h"
#include "core/report/comparison.h"
#include "core/train/adamw.h"
#include "core/train/mixed_precision.h"
#include "core/util/device_info.h"
#include "core/util/energy_meter.h"
#include "core/util/runtime_info.h"
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

void benchSelector(nlohmann::ordered_json& out, std::ostream& text) {
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
  text << "selector (N=516, T_q=1000): exact " << median(exactMs) << " ms (median of 21), paper " << paper.timeMs
            << " ms; paper/exact time " << paper.timeMs / median(exactMs) << "; objective exact " << exact.objective << " vs paper "
            << paper.objective << "\n";
}

// Model shapes of the step benchmark (random init): the paper's OPT sizes, a Llama 3.2 1B, and a
// small Llama that a CPU runs in seconds.
nlohmann::json benchShape(const std::string& name) {
  if (name == "small-llama")
    return {{"model_type", "llama"}, {"vocab_size", 8192}, {"hidden_size", 512}, {"num_hidden_layers", 8}, {"num_attention_heads", 8},
            {"num_key_value_heads", 4}, {"intermediate_size", 1408}, {"tie_word_embeddings", true}};
  if (name == "opt-350m")
    return {{"model_type", "opt"}, {"vocab_size", 50272}, {"hidden_size", 1024}, {"num_hidden_layers", 24}, {"num_attention_heads", 16},
            {"ffn_dim", 4096}, {"max_position_embeddings", 2048}, {"word_embed_proj_dim", 512}, {"do_layer_norm_before", false},
            {"tie_word_embeddings", true}};
  if (name == "opt-1.3b")
    return {{"model_type", "opt"}, {"vocab_size", 50272}, {"hidden_size", 2048}, {"num_hidden_layers", 24}, {"num_attention_heads", 32},
            {"ffn_dim", 8192}, {"max_position_embeddings", 2048}, {"tie_word_embeddings", true}};
  if (name == "llama-1b")
    return {{"model_type", "llama"}, {"vocab_size", 128256}, {"hidden_size", 2048}, {"num_hidden_layers", 16}, {"num_attention_heads", 32},
            {"num_key_value_heads", 8}, {"intermediate_size", 8192}, {"max_position_embeddings", 4096}, {"rope_theta", 500000.0},
            {"tie_word_embeddings", true}};
  throw Error("--shape: expected small-llama, opt-350m, opt-1.3b or llama-1b, got '" + name + "'");
}

struct StepBenchOptions {
  std::string shape = "small-llama", device = "cpu", precision = "fp32";
  int rounds = 8;
  int64_t batch = 4, seq = 128;
  double peakTflops = 0;  // 0: from the device table
  bool gradientCheckpointing = false;
  double energySeconds = 3;  // consecutive steps of each method per energy reading (0: no energy phase)
};

// Full FT and GreenTrainer (rho 0.5) steps of one model, interleaved so drift on a shared machine
// hits both; every time is read after synchronising the device. Prints s/step, tokens/s, MFU,
// peak memory of each and the measured GT/Full time ratio against the predicted FLOPs ratio.
void benchStep(nlohmann::ordered_json& out, const StepBenchOptions& o, std::ostream& text) {
  torch::manual_seed(0);
  const std::string precision = resolvePrecision(o.precision, "float32", o.device);
  const torch::Device device(o.device);
  const auto config = ModelConfig::fromJson(benchShape(o.shape), "bench " + o.shape);
  auto model = createModel(config);
  model->to(device, dtypeFromName(weightsDtype(precision)));
  model->setGradientCheckpointing(o.gradientCheckpointing);
  int64_t params = 0;
  std::vector<std::pair<std::string, torch::Tensor>> named;
  for (const auto& p : model->named_parameters(true)) params += p.value().numel(), named.emplace_back(p.key(), p.value());
  const FlopsProfile profile = profileFlops(config, o.batch, o.seq, o.gradientCheckpointing);
  auto ids = torch::randint(0, config.vocabSize, {o.batch, o.seq}, torch::TensorOptions().dtype(torch::kLong).device(device));
  Batch b{ids, torch::ones_like(ids), ids, true};
  AdamW opt(named, {1e-4, 0.9, 0.999, 1e-8, 0.01});
  LossScaler scaler(precision == "fp16-mixed");
  auto sync = [&] {
    if (device.is_cuda()) torch::cuda::synchronize(device.index());
  };
  // Importance pass peak memory with and without early stop (on the CPU free memory goes back to
  // the OS first, so each pass's peak RSS is its own).
  malloc_trim(0);
  resetPeakDeviceMemory(o.device);
  const auto noStop = [&] {
    AutocastGuard autocast(precision, device, /*weightsChangeInside=*/true);
    return computeImportance(*model, opt, profile, profile.tensors.size(), b, {});
  }();
  malloc_trim(0);
  const auto imp = [&] {
    AutocastGuard autocast(precision, device, /*weightsChangeInside=*/true);
    return computeImportance(*model, opt, profile, earlyStopCutoff(profile, 0.5), b, {});
  }();
  out["importance_memory"] = {{"early_stop_peak_bytes", imp.peakExtraBytes}, {"no_early_stop_peak_bytes", noStop.peakExtraBytes},
                              {"cutoff", imp.cutoff}, {"tensors", profile.tensors.size()}};
  text << "importance pass at rho 0.5: early stop after " << imp.cutoff << "/" << profile.tensors.size() << " tensors, peak "
            << imp.peakExtraBytes / 1e6 << " MB above the start vs " << noStop.peakExtraBytes / 1e6 << " MB without early stop\n";
  SelectionProblem problem{profile.forward.total(), profile.full.total(), 0.5, 1000, {}};
  for (size_t i = 0; i < profile.tensors.size(); ++i)
    problem.tensors.push_back({profile.tensors[i].name, profile.tensors[i].dw.total(), profile.tensors[i].reach.total(), imp.scaled[i]});
  const auto gtMask = selectTensors(problem).mask;
  const std::vector<bool> fullMask(profile.tensors.size(), true);

  auto step = [&](const std::vector<bool>& mask) {
    applyMask(*model, profile, mask);
    sync();
    const auto t0 = Clock::now();
    torch::Tensor loss;
    {
      AutocastGuard autocast(precision, device);
      loss = causalLmLoss(model->forward(ids), ids);
    }
    scaler.scaled(loss).backward();
    scaledOptimizerStep(opt, scaler);
    opt.zeroGrad();
    sync();
    return std::chrono::duration<double>(Clock::now() - t0).count();
  };
  // Peak memory of each method on its own (warm-up steps), GT first: once Full FT has stepped,
  // AdamW holds moments for every tensor and GT's peak would include them. Then the interleaved timed rounds.
  int64_t peakFull = -1, peakGt = -1;
  for (int i = 0; i < 2; ++i) {
    resetPeakDeviceMemory(o.device);
    step(gtMask);
    peakGt = std::max(peakGt, peakDeviceMemoryBytes(o.device));
  }
  for (int i = 0; i < 2; ++i) {
    resetPeakDeviceMemory(o.device);
    step(fullMask);
    peakFull = std::max(peakFull, peakDeviceMemoryBytes(o.device));
  }
  std::vector<double> full, green;
  for (int i = 0; i < o.rounds; ++i) {
    full.push_back(step(fullMask));
    green.push_back(step(gtMask));
  }
  // Energy per step: the counters update every few milliseconds (RAPL) to tens of them (NVML), too
  // coarse for one step, so each method runs consecutive steps for energySeconds and the energy
  // of that window is divided by its steps.
  EnergyMeter meter = EnergyMeter::forDevice(o.device);
  std::optional<double> energyFull, energyGt;
  if (o.energySeconds > 0 && meter.available()) {
    auto energyPerStep = [&](const std::vector<bool>& mask) -> std::optional<double> {
      meter.sample();
      const double before = meter.joules();
      int steps = 0;
      for (double spent = 0; spent < o.energySeconds; ++steps) spent += step(mask);
      meter.sample();
      if (!meter.available()) return std::nullopt;
      return (meter.joules() - before) / steps;
    };
    energyFull = energyPerStep(fullMask);
    energyGt = energyPerStep(gtMask);
  }
  const std::string energySources = meter.counterNames();
  for (auto& p : model->parameters()) p.set_requires_grad(true);
  const std::string name = deviceName(o.device);
  const double peak = o.peakTflops > 0 ? o.peakTflops * 1e12 : peakFlopsPerSecond(name, precision != "fp32");
  const double tokens = double(o.batch * o.seq);
  const double measured = median(green) / median(full);
  const double gtFlops = profile.stepFlops(gtMask).total(), fullFlops = profile.full.total();
  const double predicted = gtFlops / fullFlops;
  int selected = 0;
  std::vector<std::string> selectedNames;  // for tests/bench/eager_reference.py --frozen-from
  for (size_t i = 0; i < gtMask.size(); ++i)
    if (gtMask[i]) ++selected, selectedNames.push_back(profile.tensors[i].name);
  auto mfu = [&](double flops, double seconds) { return peak > 0 ? nlohmann::json(100 * flops / seconds / peak) : nlohmann::json(nullptr); };
  out["step"] = {{"shape", o.shape},
                 {"gradient_checkpointing", o.gradientCheckpointing},
                 {"device", o.device},
                 {"device_name", name},
                 {"precision", precision},
                 {"parameters", params},
                 {"batch", o.batch},
                 {"seq", o.seq},
                 {"rounds", o.rounds},
                 {"full_s_median", median(full)},
                 {"gt_s_median", median(green)},
                 {"full_tokens_per_s", tokens / median(full)},
                 {"gt_tokens_per_s", tokens / median(green)},
                 {"peak_flops", peak},
                 {"full_mfu_percent", mfu(fullFlops, median(full))},
                 {"gt_mfu_percent", mfu(gtFlops, median(green))},
                 {"full_peak_memory_bytes", peakFull},
                 {"gt_peak_memory_bytes", peakGt},
                 {"measured_ratio", measured},
                 {"predicted_flops_ratio", predicted},
                 {"difference", measured - predicted},
                 {"selected_tensors", selected},
                 {"selected", selectedNames},
                 {"tensors", int(gtMask.size())},
                 {"full_energy_j_per_step", energyFull ? nlohmann::json(*energyFull) : nlohmann::json(nullptr)},
                 {"gt_energy_j_per_step", energyGt ? nlohmann::json(*energyGt) : nlohmann::json(nullptr)},
                 {"energy_ratio", energyFull && energyGt && *energyFull > 0 ? nlohmann::json(*energyGt / *energyFull) : nlohmann::json(nullptr)},
                 {"energy_sources", energyFull ? energySources : std::string()},
                 {"energy_note", meter.note()}};
  auto mfuText = [&](double flops, double seconds) {
    return peak > 0 ? ", MFU " + fixedDigits(100 * flops / seconds / peak, 1) + "%" : std::string();
  };
  text << "step (" << o.shape << ", " << params / 1e6 << "M params, " << precision << " on " << o.device << (name.empty() ? "" : " (" + name + ")")
            << ", batch " << o.batch << " x seq " << o.seq << ", rho 0.5, " << selected << "/" << gtMask.size() << " tensors):\n"
            << "  Full FT " << median(full) << " s/step, " << fixedDigits(tokens / median(full), 0) << " tokens/s" << mfuText(fullFlops, median(full))
            << ", peak memory " << fixedDigits(double(peakFull) / 1e9, 2) << " GB\n"
            << "  GT      " << median(green) << " s/step, " << fixedDigits(tokens / median(green), 0) << " tokens/s" << mfuText(gtFlops, median(green))
            << ", peak memory " << fixedDigits(double(peakGt) / 1e9, 2) << " GB\n"
            << "  measured GT/Full time " << measured << ", predicted FLOPs ratio " << predicted << ", difference " << measured - predicted << "\n";
  if (energyFull && energyGt)
    text << "  energy per step (" << energySources << "): Full FT " << energyText(*energyFull) << ", GT " << energyText(*energyGt)
         << (*energyFull > 0 ? ", GT/Full " + fixedDigits(*energyGt / *energyFull, 3) : std::string()) << "\n";
  else if (o.energySeconds > 0)
    text << "  energy: not measured (" << meter.note() << ")\n";
}

// SDPA against the eager reference on random attention inputs: outputs and the gradients of q,
// k and v (max abs difference), fp32 and, on CUDA, bf16; causal + right-padding masks (Llama/OPT)
// and an ALiBi-like bias (BLOOM); grouped-query heads.
void benchAttention(nlohmann::ordered_json& out, const std::string& device, std::ostream& text) {
  if (!sdpaAvailable()) {
    out["attention"] = {{"sdpa", false}, {"libtorch", TORCH_VERSION}};
    text << "attention: at::scaled_dot_product_attention needs LibTorch >= 2.1 (this is " << TORCH_VERSION << "); eager only\n";
    return;
  }
  torch::manual_seed(5);
  const torch::Device dev(device);
  auto cases = nlohmann::ordered_json::array();
  std::vector<torch::ScalarType> dtypes = {torch::kFloat32};
  if (dev.is_cuda()) dtypes.push_back(torch::kBFloat16);
  for (auto dtype : dtypes)
    for (const std::string kind : {"causal", "causal+padding", "causal+padding+alibi"}) {
      const int64_t B = 2, H = 8, Hkv = 2, T = 96, D = 64;
      auto opts = torch::TensorOptions().dtype(dtype).device(dev);
      auto q = torch::randn({B, H, T, D}, opts), k = torch::randn({B, Hkv, T, D}, opts), v = torch::randn({B, Hkv, T, D}, opts);
      auto mask = torch::ones({B, T}, torch::TensorOptions().dtype(torch::kLong).device(dev));
      if (kind != "causal") mask.index_put_({1, torch::indexing::Slice(70, torch::indexing::None)}, 0);  // row 1 right-padded
      // "causal": SDPA takes is_causal (the flash kernel where eligible) and never reads the bias.
      AttentionBias bias{causalAttentionBias(mask, T, 0, torch::kFloat32), kind == "causal"};
      if (kind == "causal+padding+alibi")
        bias.additive = bias.additive + torch::arange(T, torch::TensorOptions().dtype(torch::kFloat32).device(dev)).view({1, 1, 1, T}) * -0.05 *
                                            torch::arange(1, H + 1, torch::TensorOptions().dtype(torch::kFloat32).device(dev)).view({1, H, 1, 1});
      auto run = [&](const std::string& kernel) {
        setAttentionKernel(kernel);
        auto qq = q.detach().clone().requires_grad_(true), kk = k.detach().clone().requires_grad_(true), vv = v.detach().clone().requires_grad_(true);
        auto o = attention(qq, kk, vv, bias, 0.125);
        (o.to(torch::kFloat32) * torch::linspace(-1, 1, o.numel(), torch::TensorOptions().device(dev)).view(o.sizes())).sum().backward();
        return std::vector<torch::Tensor>{o.detach(), qq.grad(), kk.grad(), vv.grad()};
      };
      const auto eager = run("eager"), sdpa = run("sdpa");
      nlohmann::ordered_json c = {{"dtype", dtype == torch::kFloat32 ? "float32" : "bfloat16"}, {"bias", kind}};
      const char* names[] = {"out", "grad_q", "grad_k", "grad_v"};
      for (size_t i = 0; i < 4; ++i) {
        // Padded query rows (row 1, positions >= 70) attend to real keys only; compare every row.
        c[std::string(names[i]) + "_max_abs_diff"] = (eager[i].to(torch::kFloat32) - sdpa[i].to(torch::kFloat32)).abs().max().item<double>();
      }
      text << "attention " << c["dtype"].get<std::string>() << " " << c["bias"].get<std::string>() << ": sdpa vs eager max |diff| out "
           << c["out_max_abs_diff"].get<double>() << ", grad q " << c["grad_q_max_abs_diff"].get<double>() << ", k "
           << c["grad_k_max_abs_diff"].get<double>() << ", v " << c["grad_v_max_abs_diff"].get<double>() << "\n";
      cases.push_back(c);
    }
  setAttentionKernel("sdpa");
  out["attention"] = {{"sdpa", true}, {"libtorch", TORCH_VERSION}, {"cases", cases}};
}

// The fused AdamW kernel against our _foreach_ form (both in fp32): five tensors, four steps, one
// tensor sitting out step 2 and one joining at step 3, as GreenTrainer's selection makes them.
void benchOptimizer(nlohmann::ordered_json& out, const std::string& device, std::ostream& text) {
  const torch::Device dev(device);
  torch::manual_seed(6);
  std::vector<std::pair<std::string, torch::Tensor>> a, b;
  const std::vector<std::vector<int64_t>> shapes = {{64, 32}, {32}, {128, 64}, {7}, {33, 65}};
  for (size_t i = 0; i < shapes.size(); ++i) {
    auto w = torch::randn(shapes[i], torch::TensorOptions().device(dev));
    a.emplace_back("w" + std::to_string(i), w.clone());
    b.emplace_back("w" + std::to_string(i), w.clone());
  }
  AdamWOptions opts;
  opts.lr = 1e-3;
  opts.weightDecay = 0.1;
  AdamW fused(a, opts), foreach(b, opts);
  foreach.setFused(false);
  if (!fused.usesFusedKernel()) {
    out["optimizer"] = {{"fused", false}, {"libtorch", TORCH_VERSION}, {"device", device}};
    text << "optimizer: no fused AdamW here (needs LibTorch >= 2.1 and a CUDA device; this is " << TORCH_VERSION << " on " << device
         << "); the _foreach_ form runs\n";
    return;
  }
  double worst = 0;
  for (int step = 1; step <= 4; ++step) {
    for (size_t i = 0; i < shapes.size(); ++i) {
      const bool sitsOut = (i == 2 && step == 2) || (i == 4 && step < 3);
      auto g = torch::randn(shapes[i], torch::TensorOptions().device(dev));
      a[i].second.mutable_grad() = sitsOut ? torch::Tensor() : g.clone();
      b[i].second.mutable_grad() = sitsOut ? torch::Tensor() : g.clone();
    }
    fused.step();
    foreach.step();
    for (size_t i = 0; i < shapes.size(); ++i)
      worst = std::max(worst, (a[i].second - b[i].second).abs().max().item<double>() / b[i].second.abs().max().item<double>());
  }
  out["optimizer"] = {{"fused", true}, {"libtorch", TORCH_VERSION}, {"device", device}, {"max_rel_diff", worst}};
  text << "optimizer: fused AdamW vs _foreach_ AdamW, 4 steps, 5 tensors (two sit steps out): max |diff| / max |w| " << worst << "\n";
}

}  // namespace

Command benchCommand() {
  return {"bench", "Run the performance benchmarks (ratios measured side by side)", [](CLI::App& cmd) {
            struct Args {
              std::string only = "all";
              StepBenchOptions step;
              CommonOptions o;
            };
            auto a = std::make_shared<Args>();
            cmd.add_option("--only", a->only, "selector, step, attention (SDPA vs eager parity), optimizer (fused vs _foreach_ AdamW) or all")->capture_default_str();
            cmd.add_option("--shape", a->step.shape, "Step benchmark model (random init): small-llama, opt-350m, opt-1.3b or llama-1b")
                ->capture_default_str();
            cmd.add_option("--device", a->step.device, "Step benchmark device: cpu or cuda[:N]")->capture_default_str();
            cmd.add_option("--precision", a->step.precision, "Step benchmark precision: fp32, bf16-mixed, fp16-mixed, bf16-true or auto")
                ->capture_default_str();
            cmd.add_flag("--gradient-checkpointing", a->step.gradientCheckpointing, "Step benchmark: activation checkpointing per block");
            cmd.add_option("--peak-tflops", a->step.peakTflops, "The device's peak TFLOP/s for MFU (default: from a table of GPUs by name)");
            cmd.add_option("--rounds", a->step.rounds, "Timed rounds per method in the step benchmark")->capture_default_str();
            cmd.add_option("--energy-seconds", a->step.energySeconds,
                           "Seconds of consecutive steps per method for the energy per step (RAPL/NVML counters; 0: none)")
                ->capture_default_str();
            cmd.add_option("--batch", a->step.batch, "Step benchmark batch size")->capture_default_str();
            cmd.add_option("--seq", a->step.seq, "Step benchmark sequence length")->capture_default_str();
            cmd.add_option("--threads", a->o.threads, "Intra-op CPU threads (0: LibTorch's default)");
            addJsonOption(cmd, a->o);
            return std::function<void()>([a] {
              applyCommonOptions(a->o);
              check(a->only == "all" || a->only == "selector" || a->only == "step" || a->only == "attention" || a->only == "optimizer",
                    "--only: expected selector, step, attention, optimizer or all");
              check(a->step.rounds >= 1, "--rounds must be at least 1");
              check(a->step.energySeconds >= 0, "--energy-seconds: expected 0 or more seconds");
              check(a->step.batch >= 1 && a->step.seq >= 2, "--batch must be at least 1 and --seq at least 2");
              checkDeviceAndDtype(a->step.device, "float32");
              nlohmann::ordered_json out;
              std::ostream& text = a->o.json ? std::cerr : std::cout;  // --json: stdout holds the JSON alone
              if (a->only == "all" || a->only == "selector") benchSelector(out, text);
              if (a->only == "all" || a->only == "attention") benchAttention(out, a->step.device, text);
              if (a->only == "all" || a->only == "optimizer") benchOptimizer(out, a->step.device, text);
              if (a->only == "all" || a->only == "step") benchStep(out, a->step, text);
              if (a->o.json) std::cout << out.dump(2) << "\n";
            });
          }};
}

}  // namespace gt::cli
