#include "core/train/train_checkpoint.h"

#include <ATen/Context.h>
#include <torch/utils.h>

#include <mutex>

#include "core/io/safetensors.h"
#include "core/util/error.h"
#include "core/util/atomic_file.h"
#include "core/util/json_file.h"

namespace gt {
namespace fs = std::filesystem;
namespace {

const char* kWeights = "weights.safetensors";
const char* kOptimizer = "optimizer.safetensors";
const char* kState = "trainer_state.json";
const char* kRecord = "run.json";
constexpr int kFormatVersion = 1;

// The default generators: dropout (LoRA) draws from them.
std::vector<std::pair<std::string, at::Generator>> generators(const torch::Device& device) {
  std::vector<std::pair<std::string, at::Generator>> g{{"rng.cpu", at::globalContext().defaultGenerator(torch::kCPU)}};
  if (device.is_cuda()) g.emplace_back("rng.cuda", at::globalContext().defaultGenerator(device));
  return g;
}

}  // namespace

void writeTrainCheckpoint(RunFolder& folder, const std::vector<std::pair<std::string, torch::Tensor>>& params, const AdamW& optimizer,
                          const TrainPosition& p, const RunRecord& record, const torch::Device& device) {
  std::vector<std::pair<std::string, torch::Tensor>> weights, state = optimizer.momentTensors();
  for (const auto& [name, t] : params) weights.emplace_back(name, t.detach());
  nlohmann::json steps = nlohmann::json::object();
  for (const auto& [name, s] : optimizer.state()) steps[name] = s.step;
  for (auto& [name, gen] : generators(device)) {
    std::lock_guard<std::mutex> lock(gen.mutex());
    state.emplace_back(name, gen.get_state());
  }
  std::vector<int> mask(p.mask.begin(), p.mask.end());
  const nlohmann::json j = {{"format_version", kFormatVersion},
                            {"epoch", p.epoch},
                            {"next_batch", p.nextBatch},
                            {"global_step", p.globalStep},
                            {"rho", p.rho},
                            {"mask", mask},
                            {"epoch_loss", p.epochLoss},
                            {"epoch_flops", p.epochFlops},
                            {"epoch_flops_full", p.epochFlopsFull},
                            {"epoch_seconds", p.epochSeconds},
                            {"epoch_steps", p.epochSteps},
                            {"generation_pending", p.generationPending},
                            {"loss_scale", p.lossScale},
                            {"loss_scale_good_steps", p.lossScaleGoodSteps},
                            {"adamw_steps", steps}};
  folder.publishFolder("checkpoint", [&](const fs::path& dir) {
    writeSafetensors(dir / kWeights, weights);
    writeSafetensors(dir / kOptimizer, state);
    writeTextAtomically(dir / kState, j.dump(1) + "\n");
    record.save(dir / kRecord);
  });
}

std::pair<TrainPosition, RunRecord> readTrainCheckpoint(const fs::path& runDir, const std::vector<std::pair<std::string, torch::Tensor>>& params,
                                                        AdamW& optimizer, const torch::Device& device) {
  const fs::path dir = runDir / "checkpoint";
  const fs::path statePath = dir / kState;
  check(fs::exists(statePath), runDir.string() + ": no checkpoint to resume from (" + statePath.string() + " is missing)");
  const nlohmann::json j = readJsonFile(statePath);
  TrainPosition p;
  std::map<std::string, int64_t> adamSteps;
  try {
    check(j.at("format_version").get<int>() == kFormatVersion,
          statePath.string() + ": format_version " + j.at("format_version").dump() + " (expected " + std::to_string(kFormatVersion) + ")");
    p.epoch = j.at("epoch").get<int64_t>();
    p.nextBatch = j.at("next_batch").get<int64_t>();
    p.globalStep = j.at("global_step").get<int64_t>();
    p.rho = j.at("rho").get<double>();
    for (int m : j.at("mask").get<std::vector<int>>()) p.mask.push_back(m != 0);
    p.epochLoss = j.at("epoch_loss").get<double>();
    p.epochFlops = j.at("epoch_flops").get<double>();
    p.epochFlopsFull = j.at("epoch_flops_full").get<double>();
    p.epochSeconds = j.at("epoch_seconds").get<double>();
    p.epochSteps = j.at("epoch_steps").get<int64_t>();
    p.generationPending = j.at("generation_pending").get<bool>();
    p.lossScale = j.value("loss_scale", 65536.0);  // absent in checkpoints written before fp16-mixed
    p.lossScaleGoodSteps = j.value("loss_scale_good_steps", int64_t(0));
    adamSteps = j.at("adamw_steps").get<std::map<std::string, int64_t>>();
  } catch (const nlohmann::json::exception& e) {
    throw Error(statePath.string() + ": malformed trainer state (" + e.what() + ")");
  }

  SafetensorsFile weights(dir / kWeights);
  {
    torch::NoGradGuard noGrad;
    for (const auto& [name, t] : params) {
      check(weights.contains(name), (dir / kWeights).string() + ": tensor '" + name + "' is missing; the checkpoint is not this run's");
      const torch::Tensor saved = weights.tensor(name);
      check(saved.sizes() == t.sizes(), (dir / kWeights).string() + ": tensor '" + name + "' has the wrong shape");
      t.copy_(saved.to(t.dtype()));
    }
  }
  SafetensorsFile state(dir / kOptimizer);
  std::map<std::string, AdamW::State> restored;
  for (const auto& [name, step] : adamSteps) {
    const auto it = std::find_if(params.begin(), params.end(), [&](const auto& x) { return x.first == name; });
    check(it != params.end() && state.contains(AdamW::expAvgKey(name)) && state.contains(AdamW::expAvgSqKey(name)),
          (dir / kOptimizer).string() + ": AdamW state for '" + name + "' does not match this run's tensors");
    auto load = [&](const std::string& key) { return state.tensor(key).to(it->second.device(), it->second.scalar_type(), false, true); };
    restored[name] = {load(AdamW::expAvgKey(name)), load(AdamW::expAvgSqKey(name)), step, {}};
  }
  optimizer.setState(std::move(restored));
  for (auto& [name, gen] : generators(device)) {
    check(state.contains(name), (dir / kOptimizer).string() + ": the random generator state '" + name + "' is missing");
    std::lock_guard<std::mutex> lock(gen.mutex());
    gen.set_state(state.tensor(name).clone());
  }
  return {p, RunRecord::load(dir / kRecord)};
}

RunConfig resumableRunConfig(const fs::path& runDir) {
  const fs::path recordPath = runDir / "run.json";
  check(fs::exists(runDir), runDir.string() + ": no such run folder to resume");
  check(fs::exists(recordPath) || fs::exists(runDir / "checkpoint" / kRecord), recordPath.string() + ": missing; this folder holds no run to resume");
  if (fs::exists(recordPath)) {
    const RunRecord top = RunRecord::load(recordPath);
    check(top.status != "finished", runDir.string() + ": the run has finished; there is nothing to resume");
  }
  check(fs::exists(runDir / "checkpoint" / kState),
        runDir.string() + ": the run has no checkpoint (it stopped before its first one); start it again with --overwrite");
  const fs::path where = runDir / "checkpoint" / kRecord;
  RunConfig c = RunConfig::fromJson(RunRecord::load(where).config, where.string());
  c.outDir = runDir.string();
  return c;
}

int64_t resumableRunThreads(const fs::path& runDir) { return RunRecord::load(runDir / "checkpoint" / kRecord).computeThreads; }

}  // namespace gt
