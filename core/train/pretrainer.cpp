#include "core/train/pretrainer.h"

#include <chrono>
#include <cmath>
#include <nlohmann/json.hpp>
#include <algorithm>
#include <map>
#include <random>

#include <torch/cuda.h>

#include "core/io/checkpoint.h"
#include "core/io/dtype_name.h"
#include "core/train/mixed_precision.h"
#include "core/io/safetensors.h"
#include "core/io/text_documents.h"
#include "core/io/tokenizer.h"
#include "core/model/model_factory.h"
#include "core/train/adamw.h"
#include "core/util/atomic_file.h"
#include "core/util/error.h"
#include "core/util/energy_meter.h"
#include "core/util/json_file.h"

namespace gt {
namespace fs = std::filesystem;

namespace {

// All documents as one token stream, each followed by EOS.
std::vector<int64_t> tokenStream(const std::vector<fs::path>& files, const Tokenizer& tok, int64_t eos) {
  std::vector<int64_t> ids;
  for (const auto& f : files)
    for (const auto& d : readDocuments(f)) {
      const auto t = tok.encode(d);
      ids.insert(ids.end(), t.begin(), t.end());
      ids.push_back(eos);
    }
  return ids;
}

// Hugging Face's _init_weights: normal(0, 0.02) for matrices and embeddings, zero biases, unit norms.
void initialiseWeights(CausalLM& model, uint64_t seed) {
  torch::manual_seed(seed);
  torch::NoGradGuard ng;
  for (auto& p : model.named_parameters(true)) {
    const std::string& n = p.key();
    const bool isNorm = n.find("norm") != std::string::npos || n.find("ln_") != std::string::npos;
    if (p.value().dim() >= 2) p.value().normal_(0.0, 0.02);
    else if (isNorm && n.size() > 7 && n.compare(n.size() - 7, 7, ".weight") == 0) p.value().fill_(1.0);
    else p.value().zero_();
  }
}

double lrAt(const PretrainConfig& c, int64_t step) {
  if (step < c.warmupSteps) return c.lr * double(step + 1) / double(c.warmupSteps);
  const double progress = double(step - c.warmupSteps) / double(std::max<int64_t>(1, c.steps - c.warmupSteps));
  return c.lr * (c.minLrRatio + (1 - c.minLrRatio) * 0.5 * (1 + std::cos(M_PI * std::min(1.0, progress))));
}

torch::Tensor blockBatch(const std::vector<int64_t>& stream, int64_t blockSize, const std::vector<int64_t>& starts,
                         const torch::Device& device) {
  auto out = torch::empty({int64_t(starts.size()), blockSize}, torch::kLong);
  auto a = out.accessor<int64_t, 2>();
  for (size_t r = 0; r < starts.size(); ++r)
    for (int64_t j = 0; j < blockSize; ++j) a[int64_t(r)][j] = stream[size_t(starts[r] + j)];
  return out.to(device);
}

double validationLoss(CausalLM& model, const std::vector<int64_t>& stream, int64_t blockSize, int64_t batchSize,
                      const torch::Device& device) {
  torch::NoGradGuard ng;
  model.eval();
  double sum = 0;
  int64_t n = 0;
  std::vector<int64_t> starts;
  for (int64_t s = 0; s + blockSize <= int64_t(stream.size()); s += blockSize) {
    starts.push_back(s);
    if (int64_t(starts.size()) == batchSize) {
      auto ids = blockBatch(stream, blockSize, starts, device);
      sum += causalLmLoss(model.forward(ids), ids).item<double>() * double(starts.size());
      n += int64_t(starts.size());
      starts.clear();
    }
  }
  if (!starts.empty()) {
    auto ids = blockBatch(stream, blockSize, starts, device);
    sum += causalLmLoss(model.forward(ids), ids).item<double>() * double(starts.size());
    n += int64_t(starts.size());
  }
  model.train();
  return n ? sum / double(n) : -1;
}

void saveCheckpoint(CausalLM& model, const AdamW& opt, const PretrainConfig& c, int64_t step, const fs::path& tokenizerDir) {
  const fs::path dir = c.outDir / "checkpoint";
  saveModel(model, dir, tokenizerDir);
  writeSafetensors(dir / "optimizer.safetensors", opt.momentTensors());
  writeTextAtomically(dir / "trainer_state.json", nlohmann::json({{"step", step}, {"seed", c.seed}}).dump() + "\n");
}

}  // namespace

PretrainResult pretrain(const PretrainConfig& c, const std::function<bool(const PretrainProgress&)>& progress) {
  check(c.blockSize >= 2 && c.batchSize >= 1 && c.steps >= 1, "pretrain: block size >= 2, batch size >= 1 and steps >= 1 required");
  check(c.lr > 0 && c.warmupSteps >= 0 && c.saveEvery >= 1, "pretrain: lr > 0, warmup >= 0 and save-every >= 1 required");
  check(c.precision == "fp32" || c.precision == "bf16-mixed" || c.precision == "fp16-mixed",
        "pretrain --precision: expected fp32, bf16-mixed or fp16-mixed, got '" + c.precision + "' (pretraining keeps fp32 master weights)");
  {
    RunConfig probe;
    probe.device = c.device;
    probe.precision = c.precision;
    resolvePrecision(probe);  // refuses what the device cannot run (fp16-mixed on a CPU build without it)
  }
  check(!c.data.empty(), "pretrain: at least one --data file is required");
  check(!c.outDir.empty(), "pretrain: --out is required");
  const torch::Device device = [&] {
    try {
      return torch::Device(c.device);
    } catch (const std::exception&) {
      throw Error("pretrain: --device: expected cpu or cuda[:N], got '" + c.device + "'");
    }
  }();
  check(!device.is_cuda() || torch::cuda::is_available(), "pretrain: --device " + c.device + " requested but CUDA is not available");
  const fs::path checkpointDir = c.outDir / "checkpoint";
  const bool resuming = c.resume && fs::exists(checkpointDir / "trainer_state.json");

  const ModelConfig config = ModelConfig::fromFile(resuming ? checkpointDir / "config.json" : c.modelConfig);
  auto tok = loadTokenizer(c.tokenizer);
  check(tok->vocabSize() <= config.vocabSize, "tokenizer has " + std::to_string(tok->vocabSize()) + " tokens but vocab_size is " +
                                                  std::to_string(config.vocabSize));
  const int64_t eos = config.eosTokenIds.empty() ? 0 : config.eosTokenIds.front();
  const auto train = tokenStream(c.data, *tok, eos);
  check(int64_t(train.size()) > c.blockSize, "pretrain: the data has " + std::to_string(train.size()) +
                                                 " tokens, fewer than one block of " + std::to_string(c.blockSize));
  std::vector<int64_t> valid;
  if (!c.validData.empty()) valid = tokenStream({c.validData}, *tok, eos);

  std::shared_ptr<CausalLM> model;
  int64_t step = 0;
  if (resuming) {
    model = loadModel(checkpointDir, LoadOptions{torch::kFloat32, device});
    step = readJsonFile(checkpointDir / "trainer_state.json").at("step").get<int64_t>();
  } else {
    model = createModel(config);
    initialiseWeights(*model, c.seed);
    model->to(device);
  }
  model->train();
  std::vector<std::pair<std::string, torch::Tensor>> named;
  int64_t parameters = 0;
  for (const auto& p : model->named_parameters(true)) named.emplace_back(p.key(), p.value()), parameters += p.value().numel();
  AdamW opt(named, {c.lr, 0.9, 0.95, 1e-8, c.weightDecay});
  if (resuming) {
    SafetensorsFile state(checkpointDir / "optimizer.safetensors");
    std::map<std::string, AdamW::State> restored;
    for (const auto& [name, _] : named)
      if (state.contains(AdamW::expAvgKey(name)))
        restored[name] = {state.tensor(AdamW::expAvgKey(name)).to(device, false, true), state.tensor(AdamW::expAvgSqKey(name)).to(device, false, true),
                          step, {}};
    opt.setState(std::move(restored));
  }

  // Block starts: a fresh seeded permutation per pass over the data; resuming replays the order.
  const int64_t blocks = (int64_t(train.size()) - 1) / c.blockSize;
  int64_t cachedPass = -1;
  std::vector<int64_t> perm(static_cast<size_t>(blocks), 0);
  auto startsFor = [&](int64_t globalBatch) {
    std::vector<int64_t> starts;
    for (int64_t i = 0; i < c.batchSize; ++i) {
      const int64_t k = globalBatch * c.batchSize + i;
      const int64_t pass = k / blocks;
      if (pass != cachedPass) {
        std::mt19937_64 rng(c.seed * 7919 + uint64_t(pass));
        for (int64_t j = 0; j < blocks; ++j) perm[size_t(j)] = j;
        std::shuffle(perm.begin(), perm.end(), rng);
        cachedPass = pass;
      }
      starts.push_back(perm[size_t(k % blocks)] * c.blockSize);
    }
    return starts;
  };

  // Saved folders get the tokenizer's files (tokenizer.json or the folder holding it).
  const fs::path tokenizerDir = c.tokenizer.has_extension() ? c.tokenizer.parent_path() : c.tokenizer;
  LossScaler scaler(c.precision == "fp16-mixed");  // the scale restarts at 2^16 on resume: a few skipped steps at most
  EnergyMeter energy = EnergyMeter::forDevice(c.device);
  PretrainResult result;
  result.parameters = parameters;
  result.trainTokens = int64_t(train.size());
  result.validTokens = int64_t(valid.size());
  bool stop = false;
  while (step < c.steps && !stop) {
    const auto t0 = std::chrono::steady_clock::now();
    const double lr = lrAt(c, step);
    opt.setLr(lr);
    auto ids = blockBatch(train, c.blockSize, startsFor(step), device);
    torch::Tensor loss;
    {
      AutocastGuard autocast(c.precision, device);
      loss = causalLmLoss(model->forward(ids), ids);
    }
    const double value = loss.item<double>();
    check(std::isfinite(value), "pretrain step " + std::to_string(step) + ": the loss is not finite; lower --lr");
    scaler.scaled(loss).backward();
    scaledOptimizerStep(opt, scaler);
    opt.zeroGrad();
    ++step;
    energy.sampleIfDue();  // once a second: often enough to see every wrap-around of the counters
    PretrainProgress p{step, c.steps, value, lr, std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count(), -1, false};
    if (step % c.saveEvery == 0 || step == c.steps) {
      if (!valid.empty()) {
        AutocastGuard autocast(c.precision, device);
        p.validLoss = result.validLoss = validationLoss(*model, valid, c.blockSize, c.batchSize, device);
      }
      saveCheckpoint(*model, opt, c, step, tokenizerDir);
      p.checkpoint = true;
    }
    result.finalLoss = value;
    if (progress && !progress(p)) {
      if (!p.checkpoint) saveCheckpoint(*model, opt, c, step, tokenizerDir);
      stop = true;
    }
  }
  result.steps = step;
  energy.sample();
  result.energyJoules = energy.available() ? energy.joules() : -1.0;
  if (energy.available()) result.energySources = energy.perCounter();
  result.energyNote = energy.note();
  // The final model, in the requested dtype.
  model->to(dtypeFromName(c.dtype));
  saveModel(*model, c.outDir / "model", tokenizerDir);
  return result;
}

}  // namespace gt
