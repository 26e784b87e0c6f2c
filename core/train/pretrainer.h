// Pretraining from scratch on plain text: documents are tokenised, joined with EOS and packed
// into blocks of block_size tokens; a causal-LM model built from a config.json is trained with
// AdamW (linear warm-up, cosine decay), saving a Hugging Face folder plus optimizer state every
// save_every steps so a run can resume exactly where it stopped.
#pragma once
#include <filesystem>
#include <functional>
#include <string>
#include <vector>

namespace gt {

struct PretrainConfig {
  std::filesystem::path modelConfig;  // config.json of the architecture (random init)
  std::filesystem::path tokenizer;
  std::vector<std::filesystem::path> data;  // text files (a document per line) or .jsonl (source/target)
  std::filesystem::path validData;          // optional, same formats
  std::filesystem::path outDir;
  int64_t blockSize = 256;
  int64_t batchSize = 16;
  int64_t steps = 1000;
  int64_t warmupSteps = 50;
  double lr = 1.5e-3;
  double minLrRatio = 0.1;
  double weightDecay = 0.1;
  int64_t saveEvery = 200;
  uint64_t seed = 0;
  bool resume = false;
  std::string dtype = "float32";  // saved weights: float32, bfloat16 or float16
  std::string device = "cpu";     // where training runs: cpu or cuda[:N] (weights are initialised on the CPU)
  std::string precision = "fp32"; // fp32, bf16-mixed or fp16-mixed (fp32 master weights; core/train/mixed_precision.h)
};

struct PretrainProgress {
  int64_t step = 0, steps = 0;
  double loss = 0, lr = 0, seconds = 0;
  double validLoss = -1;  // at checkpoints when valid data is given
  bool checkpoint = false;
};

struct PretrainResult {
  int64_t steps = 0;
  int64_t trainTokens = 0, validTokens = 0;
  double finalLoss = 0, validLoss = -1;
  int64_t parameters = 0;
  // Energy this call used, from hardware counters (core/util/energy_meter.h); -1: not measured,
  // and the note says why (a resumed pretraining counts only its own session).
  double energyJoules = -1;
  std::vector<std::pair<std::string, double>> energySources;  // per counter, e.g. {"RAPL package-0", J}
  std::string energyNote;
};

// Throws gt::Error for bad configs and inputs (naming the file / option). `progress` may be
// empty; returning false from it stops after saving a checkpoint.
PretrainResult pretrain(const PretrainConfig& config, const std::function<bool(const PretrainProgress&)>& progress = {});

}  // namespace gt
