// RunRecord: every metric of a run in one JSON file — the config, the model summary, per-step
// loss/lr/FLOPs/timings, every selection (mask by tensor name, importance raw and scaled,
// costs, predicted FLOPs fraction), per-epoch results and totals vs Full FT. The GUI plots it,
// `greentrainer compare` tabulates it, benchmarks read it. Written atomically; read back whole.
#pragma once
#include <nlohmann/json.hpp>

#include <filesystem>
#include <string>
#include <utility>
#include <vector>

namespace gt {

struct StepRecord {
  int64_t step = 0, epoch = 0;
  double loss = 0, lr = 0;
  double flops = 0, flopsFull = 0;  // predicted FLOPs of this step and of Full FT on the same batch
  int64_t tokens = 0, batch = 0, seq = 0;
  double forwardMs = 0, backwardMs = 0, optimizerMs = 0;  // synchronised with the device
  bool skipped = false;  // fp16-mixed: gradients overflowed, the update was skipped and the loss scale halved
  // The step's whole wall time: moving its batches to the device, a selection made at it (importance
  // pass + DP), the three phases, the FLOPs bookkeeping and the energy sample; not the observer (the
  // progress line, the studio's signal: the event carries this figure) nor a periodic checkpoint. What
  // the epoch clock holds beyond the sum of these is the epoch's batch building, its checkpoints, the
  // observer and any time spent paused (the pause wait comes before a step's clock starts). 0: an
  // older record.
  double stepMs = 0;
};

struct SelectionRecord {
  int64_t epoch = 0, step = 0;
  double rho = 0;
  std::vector<std::string> selected;      // tensor names
  std::vector<double> importanceRaw;      // chain order (the record's tensor list)
  std::vector<double> importanceScaled;
  double predictedFraction = 0;           // FLOPs of a step with this mask / Full FT
  double importanceMs = 0, selectionMs = 0;
  int64_t importancePeakBytes = -1;
  int64_t cutoff = 0;                     // early-stop position of the importance pass
  double importanceFlops = 0;             // predicted FLOPs of the importance pass
};

struct EpochRecord {
  int64_t epoch = 0;
  double meanLoss = 0;
  double evalLoss = -1;  // -1: not evaluated
  double flops = 0, flopsFull = 0;
  double seconds = 0;
};

// ROUGE / exact match from generating on a split (core/eval), after an epoch or at the end.
struct GenerationEvalRecord {
  int64_t epoch = -1;  // the epoch just finished; -1: the model before training
  std::string split;
  int64_t examples = 0;
  double rouge1 = 0, rouge2 = 0, rougeL = 0, exactMatch = 0;  // means, F1 in [0, 1]
  bool stem = false;
  double seconds = 0;
  std::vector<std::pair<std::string, std::string>> samples;  // first predictions with their references
};

struct ChainEntry {
  std::string name;
  std::vector<int64_t> shape;
  double dw = 0, reach = 0;  // at the reference batch shape
};

struct RunRecord {
  nlohmann::json config;       // RunConfig::toJson()
  nlohmann::json model;        // model_type, parameters, layers, ...
  nlohmann::json dataset;      // counts
  std::vector<ChainEntry> tensors;  // output first
  double referenceTFp = 0, referenceTFull = 0;
  int64_t referenceBatch = 0, referenceSeq = 0;
  std::vector<StepRecord> steps;
  std::vector<SelectionRecord> selections;
  std::vector<EpochRecord> epochs;
  std::vector<GenerationEvalRecord> generationEvals;
  double totalFlops = 0, totalFlopsFull = 0, importanceFlops = 0;
  double wallSeconds = 0, importanceSeconds = 0, selectionSeconds = 0;
  std::string precision = "fp32";   // the precision the run trained in (core/train/mixed_precision.h)
  int64_t peakMemoryBytes = -1;     // peak device memory (CUDA allocator) or process RSS (CPU); -1: unknown
  std::string deviceName;           // "NVIDIA H100 80GB HBM3", the CPU model, ...
  double devicePeakFlops = 0;       // the device's dense peak FLOP/s in the run's precision; 0: unknown
  int64_t computeThreads = 0;       // LibTorch's intra-op CPU threads during the run; 0: unknown (older records)
  // Energy the run used, from hardware counters (core/util/energy_meter.h): in all (-1: not
  // measured), per counter ("RAPL package-0", "NVML GPU ..."), and what was not counted and why.
  double energyJoules = -1;
  std::vector<std::pair<std::string, double>> energySources;
  std::string energyNote;
  std::string status = "running";  // running | finished | cancelled | failed
  std::string error;

  nlohmann::json toJson() const;
  static RunRecord fromJson(const nlohmann::json& j, const std::string& where);
  std::string toText() const;                          // the JSON file's contents
  void save(const std::filesystem::path& path) const;  // atomic
  static RunRecord load(const std::filesystem::path& path);
  // step,epoch,loss,lr,flops,flops_full,cumulative_flops,cumulative_flops_full,tokens,forward_ms,backward_ms,optimizer_ms,skipped,step_ms
  std::string stepsCsv() const;
  // A resumed run: takes what earlier sessions of the same run recorded (the steps, selections,
  // epochs and generation scores, the FLOPs and time totals, the peak memory). This session's
  // config, model, device and status stay; wall time and energy are added up by the trainer.
  void continueFrom(RunRecord&& earlier);
};

}  // namespace gt
