// A fine-tuning run's checkpoint (RUN/checkpoint/): everything `train --resume` needs to continue
// bit for bit — the trained tensors (the model's for full/gt/top2, the adapter's for lora/prefix),
// AdamW's moments and step counts, the RNG states, the position in the seeded data order, the
// current selection (mask, rho) and the record so far. Published as one folder (RunFolder), so
// a kill leaves the previous checkpoint or the new one.
#pragma once
#include <torch/types.h>

#include <filesystem>
#include <string>
#include <utility>
#include <vector>

#include "core/report/run_record.h"
#include "core/train/adamw.h"
#include "core/train/resumable_run.h"
#include "core/train/run_config.h"
#include "core/util/run_folder.h"

namespace gt {

// Where the loop stands after the last finished optimizer step.
struct TrainPosition {
  int64_t epoch = 0;       // the epoch to continue (== epochs when training is done)
  int64_t nextBatch = 0;   // first micro-batch of the next step in that epoch's order
  int64_t globalStep = 0;  // optimizer steps done
  double rho = 0;          // the rho in force (it may have changed during the run)
  std::vector<bool> mask;  // the selection in force, chain order
  // The unfinished epoch's sums, so its EpochRecord comes out as if never interrupted.
  double epochLoss = 0, epochFlops = 0, epochFlopsFull = 0, epochSeconds = 0;
  int64_t epochSteps = 0;
  // The ROUGE evaluation due after epoch - 1 (before training when epoch is 0) was stopped: run it first.
  bool generationPending = false;
  // fp16-mixed's loss scale and its count of good steps since the last change.
  double lossScale = 65536.0;
  int64_t lossScaleGoodSteps = 0;
};

// Writes RUN/checkpoint through `folder`. `params` are the optimizer's tensors.
void writeTrainCheckpoint(RunFolder& folder, const std::vector<std::pair<std::string, torch::Tensor>>& params, const AdamW& optimizer,
                          const TrainPosition& position, const RunRecord& record, const torch::Device& device);

// Restores `params` (in place), the optimizer state and the RNG states from RUN/checkpoint, and
// returns the position and the record so far. Throws gt::Error naming the file for a missing or
// damaged checkpoint, or one whose tensors do not match this run's.
std::pair<TrainPosition, RunRecord> readTrainCheckpoint(const std::filesystem::path& runDir,
                                                        const std::vector<std::pair<std::string, torch::Tensor>>& params,
                                                        AdamW& optimizer, const torch::Device& device);

}  // namespace gt
