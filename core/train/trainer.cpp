#include "core/train/trainer.h"

#include <algorithm>
#include <chrono>
#include <cmath>

#include <optional>
#include <sstream>

#include <torch/cuda.h>

#include "core/eval/generation_eval.h"
#include "core/green/flops_measurement.h"
#include "core/green/flops_profiler.h"
#include "core/green/selector.h"
#include "core/io/checkpoint.h"
#include "core/io/dtype_name.h"
#include "core/log/log.h"
#include "core/model/generation.h"
#include "core/train/adamw.h"
#include "core/train/batch_loss.h"
#include "core/train/dataset.h"
#include "core/train/prepared_run.h"
#include "core/train/lora.h"
#include "core/train/mixed_precision.h"
#include "core/train/prefix_tuning.h"
#include "core/train/run_energy.h"
#include "core/train/run_replay.h"
#include "core/train/step_selection.h"
#include "core/train/top_blocks.h"
#include "core/train/train_checkpoint.h"
#include "core/util/atomic_file.h"
#include "core/util/device_info.h"
#include "core/util/error.h"
#include "core/util/run_folder.h"
#include "core/util/runtime_info.h"

namespace gt {
namespace {

using Clock = std::chrono::steady_clock;
double msSince(Clock::time_point t) { return std::chrono::duration<double, std::milli>(Clock::now() - t).count(); }

// CUDA runs kernels asynchronously: a clock read without waiting for the device measures the
// launch, not the work. Times of forward, backward and optimizer are read after this.
void synchronize(const torch::Device& device) {
  if (device.is_cuda()) torch::cuda::synchronize(device.index());
}

// Linear decay to 0 without warm-up (GREENTRAINER.md §5), or constant.
double scheduledLr(const RunConfig& c, int64_t step, int64_t totalSteps) {
  return c.schedule == "linear" ? c.lr * double(totalSteps - step) / double(totalSteps) : c.lr;
}

std::vector<std::string> commaList(const std::string& text) {
  std::vector<std::string> out;
  std::stringstream ss(text);
  std::string item;
  while (std::getline(ss, item, ','))
    if (!item.empty()) out.push_back(item);
  return out;
}

double evaluationLoss(const std::function<torch::Tensor(const Batch&)>& loss, const std::vector<Batch>& batches, const torch::Device& device,
                      const std::string& precision) {
  torch::NoGradGuard noGrad;
  AutocastGuard autocast(precision, device);
  double sum = 0;
  int64_t tokens = 0;
  for (const auto& b : batches) {
    const Batch d = b.to(device);
    const int64_t n = lossTokens(d);
    sum += loss(d).item<double>() * double(n);
    tokens += n;
  }
  return tokens > 0 ? sum / double(tokens) : 0.0;
}

// Disk space a run may need: the saved model plus a checkpoint holding the trained tensors and
// two AdamW moments each (all of the model's for full/gt/top2/top-blocks; adapters are small).
uint64_t diskNeeded(const RunConfig& c) {
  uint64_t weights = 0;
  std::error_code ec;
  for (const auto& e : std::filesystem::directory_iterator(c.model, ec))
    if (e.path().extension() == ".safetensors") weights += bytesUnder(e.path());
  const bool adapters = c.method == "lora" || c.method == "prefix";
  return (c.saveModel ? weights : 0) + (adapters ? weights / 10 : 3 * weights) + (1u << 20);
}

}  // namespace

Trainer::Trainer(RunConfig config, RunObserver* observer, RunControl* control, RunFolderMode folderMode)
    : config_(std::move(config)), observer_(observer), control_(control), folderMode_(folderMode) {}

RunRecord Trainer::run() {
  const RunConfig& c = config_;
  c.validate();
  checkDeviceAndDtype(c.device, c.dtype);
  const std::string precision = resolvePrecision(c);
  const auto runStart = Clock::now();
  RunEnergy energy(c.device);  // from here on: loading, training, evaluation
  // The run folder first: a run that cannot write its results must not start.
  std::optional<RunFolder> folder;
  if (!c.outDir.empty()) folder.emplace(c.outDir, folderMode_, std::vector<std::filesystem::path>{c.model, c.tokenizer}, diskNeeded(c));
  const bool resuming = folder && folderMode_ == RunFolderMode::Resume;
  torch::manual_seed(c.seed);
  RunConfig loadConfig = c;
  loadConfig.dtype = weightsDtype(precision);  // mixed precisions keep fp32 master weights
  PreparedRun prep = prepareRun(loadConfig);
  LanguageModel& model = *prep.model;
  // Encoder-decoders: the methods whose masks the T5 chain defines (the block-wise ones name decoder-only
  // layers; LoRA and prefix tuning attach to decoder-only modules so far).
  check(!prep.encoderDecoder() || c.method == "full" || c.method == "gt" || c.method == "top2" || c.method == "lora",
        "method '" + c.method + "' supports decoder-only models; for model_type '" + model.config().modelType +
            "' (an encoder-decoder) use full, gt, top2 or lora");
  check(!prep.encoderDecoder() || !c.gradientCheckpointing,
        "gradient_checkpointing supports decoder-only models; model_type '" + model.config().modelType + "' is an encoder-decoder");
  const auto device = torch::Device(c.device);
  model.train();
  model.setGradientCheckpointing(c.gradientCheckpointing);

  const int64_t batchesPerEpoch = (int64_t(prep.train.size()) + c.batchSize - 1) / c.batchSize;
  const int64_t stepsPerEpoch = (batchesPerEpoch + c.gradAccum - 1) / c.gradAccum;
  const int64_t totalSteps = stepsPerEpoch * c.epochs;

  // Reference shape: the median padded length of the first epoch's batches (encoder-decoder: of each side).
  const int64_t padMultiple = batchLengthMultiple(c.padToMultipleOf, c.device, precision);
  std::vector<int64_t> seqs, decoderSeqs;
  for (const auto& b : prep.batches(prep.train, c.batchSize, c.seed, 0, true, padMultiple, c.maxLength)) {
    seqs.push_back(b.seq());
    decoderSeqs.push_back(b.decoderSeq());
  }
  std::nth_element(seqs.begin(), seqs.begin() + seqs.size() / 2, seqs.end());
  std::nth_element(decoderSeqs.begin(), decoderSeqs.begin() + decoderSeqs.size() / 2, decoderSeqs.end());
  const FlopsProfile reference =
      profileFlops(model.config(), c.batchSize, seqs[seqs.size() / 2], c.gradientCheckpointing, decoderSeqs[decoderSeqs.size() / 2]);
  // The FLOPs profile of a batch's shape.
  auto profileOf = [&](const Batch& b) { return profileFlops(model.config(), b.size(), b.seq(), c.gradientCheckpointing, b.decoderSeq()); };

  RunRecord record;
  record.config = c.toJson();
  record.config["prompt_template"] = prep.promptTemplate;  // an encoder-decoder's default differs
  record.precision = precision;
  record.deviceName = deviceName(c.device);
  record.devicePeakFlops = peakFlopsPerSecond(record.deviceName, precision != "fp32");
  record.computeThreads = computeThreads();
  int64_t parameters = 0;
  auto named = model.named_parameters(true);
  for (const auto& p : named) parameters += p.value().numel();
  record.model = {{"model_type", model.config().modelType}, {"parameters", parameters}, {"layers", model.config().numLayers + model.config().numDecoderLayers},
                  {"hidden_size", model.config().hiddenSize}, {"vocab_size", model.config().vocabSize}};
  record.dataset = {{"rows", prep.trainStats.rows}, {"used", prep.trainStats.used}, {"truncated", prep.trainStats.truncated},
                    {"skipped_too_long", prep.trainStats.skippedTooLong}, {"skipped_empty", prep.trainStats.skippedEmpty},
                    {"eval_examples", int64_t(prep.eval.size())}};
  record.referenceBatch = reference.batch;
  record.referenceSeq = reference.seq;
  record.referenceTFp = reference.forward.total();
  record.referenceTFull = reference.full.total();
  for (const auto& t : reference.tensors) record.tensors.push_back({t.name, named[t.name].sizes().vec(), t.dw.total(), t.reach.total()});

  // Fail early with the selector's message when rho cannot work at the reference shape, or the
  // solver not on this model (brute force stops at 24 tensors), before anything is published.
  if (c.method == "gt") {
    SelectionProblem probe{reference.forward.total(), reference.full.total(), c.rho, c.tq, {}};
    for (const auto& t : reference.tensors) probe.tensors.push_back({t.name, t.dw.total(), t.reach.total(), 1.0});
    selectTensors(probe, c.solver);
  }

  // LoRA and prefix tuning train none of the model's weights: a step costs the backward pass down
  // to the deepest tensor they attach to (the adapted weights; the first layer's keys/values),
  // without those tensors' weight gradients, plus the adapters' own matmuls.
  std::optional<Lora> lora;
  std::optional<PrefixTuning> prefix;
  std::vector<bool> frozenReach;  // empty: the method trains the model's own tensors
  if (c.method == "lora") {
    lora.emplace(model, LoraConfig{c.loraRank, c.loraAlpha, c.loraDropout, commaList(c.loraTargets)}, c.seed);
    frozenReach.assign(reference.tensors.size(), false);
    for (const auto& name : lora->adaptedWeights()) frozenReach[size_t(reference.indexOf(name))] = true;
  }
  if (c.method == "prefix") {
    prefix.emplace(model.config(), c.prefixTokens, c.seed, device);
    frozenReach = prefix->reachMask(reference);
  }
  // A batch's loss: the model's own (batch_loss.h), or through the learned prefix.
  auto lossOf = [&](const Batch& b) {
    if (!prefix) return batchLoss(model, b);
    KVCache past = prefix->cache(b.size());
    return causalLmLoss(prep.decoderOnly("prefix tuning").forward(b.inputIds, prefix->extendMask(b.attentionMask, b.inputIds), &past), b.labels);
  };
  auto stepFlopsAt = [&](const FlopsProfile& shape, const std::vector<bool>& m) {
    if (frozenReach.empty()) return shape.stepFlops(m).total();
    double f = shape.stepFlops(frozenReach).total() +
               (lora ? lora->stepFlops(shape) : prefix->stepFlops(shape.batch, shape.seq));
    for (size_t i = 0; i < frozenReach.size(); ++i)
      if (frozenReach[i]) f -= shape.tensors[i].dw.total();
    return f;
  };

  std::vector<std::pair<std::string, torch::Tensor>> params;
  if (lora) params = lora->parameters();
  else if (prefix) params = prefix->parameters();
  else
    for (const auto& p : named) params.emplace_back(p.key(), p.value());
  AdamW optimizer(params, {c.lr, 0.9, 0.999, 1e-8, c.weightDecay});
  LossScaler scaler(precision == "fp16-mixed");

  const RunStartInfo start{model.config().modelType, parameters,          int64_t(prep.train.size()), stepsPerEpoch,
                           totalSteps,                record.tensors,      reference.forward.total(),  reference.full.total(),
                           reference.batch,           reference.seq};  // encoder-decoder: the encoder's length

  log::info("training " + c.method + (c.method == "gt" ? " rho " + std::to_string(c.rho) : "") + " in " + precision + ": " +
            std::to_string(prep.train.size()) + " examples, " + std::to_string(totalSteps) + " steps" +
            (padMultiple > 0 ? ", batches padded to multiples of " + std::to_string(padMultiple) + " tokens" : ""));

  // full and gt start with every tensor (gt re-selects before its first step); lora and prefix train none of the model's.
  std::vector<bool> mask(reference.tensors.size(), frozenReach.empty());
  if (c.method == "top2") mask = ftTop2Mask(reference, model.config().tieWordEmbeddings);
  if (c.method == "top-blocks") mask = topBlocksMask(reference, model.config().numLayers, c.topBlocks);
  // LISA and BAdam switch layers every K steps; round r's mask is a function of (seed, r).
  const bool layerSchedule = c.method == "lisa" || c.method == "badam";
  const int64_t switchInterval = c.method == "lisa" ? c.lisaInterval : c.badamInterval;
  if (layerSchedule) mask = layerScheduleSelection(c, reference, model.config().numLayers, 0, 0, 0).mask;
  // Parameters the optimizer may update: the adapters (lora, prefix), the masked tensors (top2, top-blocks), all (full, gt).
  int64_t trainable = 0;
  if (!frozenReach.empty())
    for (const auto& [name, t] : params) trainable += t.numel();
  else
    for (const auto& p : named)
      if (mask[size_t(reference.indexOf(p.key()))]) trainable += p.value().numel();
  record.model["trainable_parameters"] = trainable;
  if (c.method != "gt")
    log::info(c.method + ": predicted " + std::to_string(stepFlopsAt(reference, mask) / reference.full.total()) + " of Full FT FLOPs per step, " +
              std::to_string(trainable) + " trainable parameters");
  // Where training stands; a resumed run takes it, the weights, AdamW's state, the RNG and the
  // record so far from the checkpoint.
  TrainPosition pos;
  pos.rho = c.rho;
  double wallBefore = 0;  // seconds of earlier sessions of this run
  if (resuming) {
    auto [p, r] = readTrainCheckpoint(folder->dir(), params, optimizer, device);
    check(p.mask.size() == mask.size(), c.outDir + "/checkpoint: its selection has " + std::to_string(p.mask.size()) + " tensors, the model " +
                                            std::to_string(mask.size()) + "; the checkpoint is not this run's");
    pos = p;
    mask = p.mask;
    scaler.restore(p.lossScale, p.lossScaleGoodSteps);
    wallBefore = r.wallSeconds;
    if (r.computeThreads > 0 && r.computeThreads != record.computeThreads)
      log::warn("resuming on " + std::to_string(record.computeThreads) + " compute threads; the run trained on " + std::to_string(r.computeThreads) +
                " so far, so it will differ from an uninterrupted run in the last bits (--threads " + std::to_string(r.computeThreads) +
                " continues it exactly)");
    energy.resumeFrom(r);
    record.continueFrom(std::move(r));
    log::info("resuming at epoch " + std::to_string(pos.epoch + 1) + ", step " + std::to_string(pos.globalStep) + " of " + std::to_string(totalSteps));
  }
  auto selectionEvent = [&](const SelectionRecord& s, const std::vector<bool>& m) { return selectionEventOf(s, m, reference); };
  if (observer_) {
    RunStartInfo info = start;
    info.resumedSteps = pos.globalStep;
    observer_->runStarted(info);
    replayRecord(record, reference, totalSteps, pos.globalStep, int64_t(prep.eval.size()), c.method == "gt", *observer_);
  }
  double& rho = pos.rho;
  int64_t& globalStep = pos.globalStep;
  bool cancelled = false;
  // The record and its steps table; steps.csv first, so a record never describes steps the table lacks.
  resetPeakDeviceMemory(c.device);
  const int64_t peakBefore = record.peakMemoryBytes;  // an earlier session's peak (resumed runs)
  energy.logCounters();
  // Wall time, peak memory and energy up to now, for the record and the checkpoint.
  auto updateTotals = [&] {
    record.wallSeconds = wallBefore + msSince(runStart) / 1000;
    record.peakMemoryBytes = std::max(peakBefore, peakDeviceMemoryBytes(c.device));
    energy.sample();
    energy.writeTo(record);
  };
  auto saveRecord = [&] {
    updateTotals();
    if (folder) {
      folder->publishFile("steps.csv", record.stepsCsv());
      folder->publishFile("run.json", record.toText());
    }
  };
  auto saveCheckpoint = [&] {
    if (!folder) return;
    pos.mask = mask;
    pos.lossScale = scaler.scale();
    pos.lossScaleGoodSteps = scaler.goodSteps();
    updateTotals();
    writeTrainCheckpoint(*folder, params, optimizer, pos, record, device);
    saveRecord();
  };

  const auto eos = eosTokenIds(c.model, model.config());
  // False when stopped by a cancel: nothing is recorded, and the checkpoint marks it pending.
  auto generationEval = [&](int64_t epoch) {
    EvalOptions eo;
    eo.generation.numBeams = c.evalBeams;
    eo.generation.repetitionPenalty = c.evalRepetitionPenalty;
    eo.generation.maxNewTokens = c.evalMaxNewTokens;
    eo.generation.eosTokenIds = eos;
    if (prefix) eo.generation.prefixCache = [&](int64_t rows) { return prefix->cache(rows); };
    eo.batchSize = c.evalBatchSize;
    eo.maxLength = c.maxLength;
    eo.stem = c.evalStem;
    AutocastGuard autocast(precision, device);
    const auto r = evaluateByGeneration(model, *prep.tokenizer, prep.generate, prep.promptTemplate, eo,
                                        [&](int64_t, int64_t) { return !(control_ && control_->cancelled()); });
    model.train();
    if (control_ && control_->cancelled()) {
      log::info("generation stopped; it runs again when the run is resumed");
      return false;
    }
    GenerationEvalRecord g{epoch, c.generateSplit, r.examples, r.rouge.rouge1, r.rouge.rouge2, r.rouge.rougeL, r.exactMatch, c.evalStem, r.seconds, {}};
    for (size_t i = 0; i < r.rows.size() && i < 5; ++i) g.samples.emplace_back(r.rows[i].prediction, r.rows[i].reference);
    if (folder) folder->publishFile("predictions.jsonl", predictionsJsonl(r.rows));
    log::info("generation on " + c.generateSplit + (epoch < 0 ? " before training" : " after epoch " + std::to_string(epoch + 1)) + ": " +
              std::to_string(r.examples) + " examples, ROUGE-1 " + std::to_string(100 * g.rouge1) + " ROUGE-2 " +
              std::to_string(100 * g.rouge2) + " ROUGE-L " + std::to_string(100 * g.rougeL));
    if (observer_) observer_->generationEvalDone(g);
    record.generationEvals.push_back(std::move(g));
    return true;
  };
  // Runs a due generation evaluation; when it is stopped, writes a checkpoint that says so and ends the run.
  auto dueGeneration = [&](int64_t epoch) {
    pos.generationPending = !generationEval(epoch);
    if (pos.generationPending) {
      saveCheckpoint();
      cancelled = true;
    }
  };

  saveRecord();  // status "running": the folder now holds this run
  try {
    if (resuming && pos.generationPending) dueGeneration(pos.epoch - 1);  // resumed where a due evaluation was stopped
    else if (c.generateBeforeTraining && !prep.generate.empty() && !resuming) dueGeneration(-1);
    for (int64_t epoch = pos.epoch; epoch < c.epochs && !cancelled; ++epoch) {
      const auto epochStart = Clock::now();
      const auto batches = prep.batches(prep.train, c.batchSize, c.seed, epoch, true, padMultiple, c.maxLength);
      double& epochLoss = pos.epochLoss;
      double& epochFlops = pos.epochFlops;
      double& epochFlopsFull = pos.epochFlopsFull;
      int64_t& epochSteps = pos.epochSteps;
      const double epochSecondsBefore = pos.epochSeconds;
      auto epochSeconds = [&] { return epochSecondsBefore + msSince(epochStart) / 1000; };
      for (size_t first = size_t(pos.nextBatch); first < batches.size(); first += size_t(c.gradAccum)) {
        if (control_) {
          control_->waitWhilePaused();
          if (control_->cancelled()) {
            cancelled = true;
            pos.epoch = epoch;
            pos.nextBatch = int64_t(first);
            pos.epochSeconds = epochSeconds();
            saveCheckpoint();
            break;
          }
        }
        const auto iterationStart = Clock::now();  // the step's whole wall time (StepRecord::stepMs) from here
        const size_t last = std::min(batches.size(), first + size_t(c.gradAccum));
        const Batch lead = batches[first].to(device);

        const bool reselect = c.method == "gt" && ((first == 0 && epoch % c.reselectEveryEpochs == 0) ||
                                                   (c.reselectEverySteps > 0 && globalStep > 0 && globalStep % c.reselectEverySteps == 0));
        std::optional<StepSelection> selection;
        if (reselect) {
          if (control_)
            if (auto r = control_->takeRho()) {
              check(*r > 0 && *r <= 1, "rho: expected a value in (0, 1], got " + std::to_string(*r));
              log::info("rho changed from " + std::to_string(rho) + " to " + std::to_string(*r) + " at step " + std::to_string(globalStep));
              rho = *r;
            }
          optimizer.setLr(scheduledLr(c, globalStep, totalSteps));  // Δw uses this step's learning rate
          // The importance batches: this step's and the ones after it in this epoch's order (wrapping round).
          std::vector<Batch> importanceBatches{lead};
          for (int64_t j = 1; j < c.importanceBatches; ++j) importanceBatches.push_back(batches[(first + size_t(j)) % batches.size()].to(device));
          selection = greenTrainerSelection(model, optimizer, importanceBatches, c, precision, rho, reference, epoch, globalStep);
          record.importanceFlops += selection->record.importanceFlops;
          record.importanceSeconds += selection->record.importanceMs / 1000;
          record.selectionSeconds += selection->record.selectionMs / 1000;
        }
        if (layerSchedule && globalStep % switchInterval == 0) {
          selection = layerScheduleSelection(c, reference, model.config().numLayers, globalStep / switchInterval, epoch, globalStep);
          if (c.method == "badam") optimizer.setState({});  // BAdam keeps Adam state for the active block only
        }
        if (selection) {
          mask = selection->mask;
          const SelectionRecord& s = selection->record;
          log::info((c.method == "gt" ? std::string("selection") : c.method) + " at step " + std::to_string(globalStep) + ": " +
                    std::to_string(s.selected.size()) + "/" + std::to_string(mask.size()) + " tensors, predicted " +
                    std::to_string(s.predictedFraction) + " of Full FT FLOPs");
          if (observer_) observer_->selectionMade(selectionEvent(s, mask));
          record.selections.push_back(std::move(selection->record));
        }

        // One optimizer step over grad_accum micro-batches.
        const auto stepStart = Clock::now();
        applyMask(model, reference, mask);
        const double lr = scheduledLr(c, globalStep, totalSteps);
        optimizer.setLr(lr);
        StepRecord sr;
        sr.step = globalStep;
        sr.epoch = epoch;
        sr.lr = lr;
        for (size_t bi = first; bi < last; ++bi) {
          const Batch b = bi == first ? lead : batches[bi].to(device);
          synchronize(device);
          auto t0 = Clock::now();
          torch::Tensor loss;
          {
            AutocastGuard autocast(precision, device);  // forward in bf16/fp16 for the mixed precisions; the loss is fp32
            loss = lossOf(b);
          }
          const double value = loss.item<double>();
          sr.forwardMs += msSince(t0);
          check(std::isfinite(value), "step " + std::to_string(globalStep) + " (epoch " + std::to_string(epoch) + "): the loss is " +
                                          std::to_string(value) + " (NaN or infinite); lower the learning rate or check the data");
          t0 = Clock::now();
          scaler.scaled(loss / double(last - first)).backward();
          synchronize(device);
          sr.backwardMs += msSince(t0);
          sr.loss += value / double(last - first);
          const FlopsProfile shape = profileOf(b);
          sr.flops += stepFlopsAt(shape, mask);
          sr.flopsFull += shape.full.total();
          sr.tokens += b.attentionMask.sum().item<int64_t>();
          sr.batch = b.size();
          sr.seq = b.seq();
        }
        auto t0 = Clock::now();
        sr.skipped = !scaledOptimizerStep(optimizer, scaler);
        optimizer.zeroGrad();
        synchronize(device);
        sr.optimizerMs = msSince(t0);
        if (sr.skipped)
          log::warn("step " + std::to_string(globalStep) + ": gradients overflowed in fp16; the update was skipped and the loss scale lowered to " +
                    std::to_string(scaler.scale()));
        record.steps.push_back(sr);
        record.totalFlops += sr.flops;
        record.totalFlopsFull += sr.flopsFull;
        epochLoss += sr.loss;
        epochFlops += sr.flops;
        epochFlopsFull += sr.flopsFull;
        ++epochSteps;
        ++globalStep;
        energy.sampleIfDue();  // once a second: often enough to see every wrap-around of the counters
        StepRecord& done = record.steps.back();
        done.stepMs = msSince(iterationStart);
        if (observer_) {
          StepEvent e{done.step, epoch, totalSteps, done.loss, lr, done.flops, done.flopsFull, record.totalFlops, record.totalFlopsFull,
                      c.method == "gt" ? rho : 1.0, msSince(stepStart) / 1000, done.tokens,
                      std::max(peakBefore, peakDeviceMemoryBytes(c.device)), energy.soFar()};
          copyStepPhases(done, e);
          observer_->stepDone(e);
        }
        const bool epochEnds = first + size_t(c.gradAccum) >= batches.size();
        if (c.checkpointEverySteps > 0 && globalStep % c.checkpointEverySteps == 0 && !epochEnds) {
          pos.epoch = epoch;
          pos.nextBatch = int64_t(first) + c.gradAccum;
          pos.epochSeconds = epochSeconds();
          saveCheckpoint();
        }
      }
      if (cancelled || epochSteps == 0) break;  // a partial epoch has no epoch record
      EpochRecord er{epoch, epochLoss / double(epochSteps), -1, epochFlops, epochFlopsFull, epochSeconds()};
      if (!prep.eval.empty()) {
        // In eval mode, as Hugging Face's Trainer evaluates: no dropout (LoRA's), which would blur the
        // figure and draw from the generator the training steps draw from.
        model.eval();
        er.evalLoss = evaluationLoss(lossOf, prep.batches(prep.eval, c.batchSize, 0, 0, false), device, precision);
        model.train();
        if (observer_) observer_->evaluationDone({epoch, er.evalLoss, int64_t(prep.eval.size())});
      }
      record.epochs.push_back(er);
      if (observer_) observer_->epochDone({epoch, er.meanLoss, er.seconds});
      const bool last = epoch + 1 == c.epochs;
      pos = TrainPosition{epoch + 1, 0, globalStep, rho, mask};
      if (!prep.generate.empty() && (c.generateEveryEpoch || last)) dueGeneration(epoch);
      if (!cancelled) saveCheckpoint();
    }
  } catch (const std::exception& e) {
    for (auto& p : model.parameters()) p.set_requires_grad(true);
    record.status = "failed";
    record.error = e.what();
    try {
      saveRecord();  // the last checkpoint stays
    } catch (const std::exception& w) {
      log::error(std::string("could not write the failed run's record: ") + w.what());
    }
    if (observer_) observer_->failed(e.what());
    throw;
  }
  for (auto& p : model.parameters()) p.set_requires_grad(true);
  record.status = cancelled ? "cancelled" : "finished";
  // The outputs are published before the record that says "finished", each folder in one rename;
  // a cancelled run keeps its checkpoint instead (train --resume continues it).
  if (folder && !cancelled && c.saveModel) try {
    if (prefix) {
      folder->publishFolder("prefix", [&](const std::filesystem::path& dir) { prefix->save(dir); });  // the base model is unchanged
    } else {
      if (lora) {
        folder->publishFolder("adapter", [&](const std::filesystem::path& dir) { lora->save(dir, c.model); });
        lora->mergeAndDetach();  // model/ holds the merged weights
      }
      std::filesystem::path tokenizerFiles = c.tokenizer.empty() ? c.model : c.tokenizer;
      if (std::filesystem::is_regular_file(tokenizerFiles)) tokenizerFiles = tokenizerFiles.parent_path();  // --tokenizer DIR/tokenizer.json
      folder->publishFolder("model", [&](const std::filesystem::path& dir) { saveModel(model, dir, tokenizerFiles); });
    }
  } catch (const std::exception& e) {
    // E.g. a full disk: the record (small) says so, and the checkpoint stays for --resume.
    record.status = "failed";
    record.error = std::string("saving the model: ") + e.what() + "; free space and continue with train --resume";
    try {
      saveRecord();
    } catch (const std::exception&) {
    }
    if (observer_) observer_->failed(record.error);
    throw Error(record.error);
  }
  saveRecord();
  if (folder && !cancelled) folder->remove("checkpoint");  // the record now says everything
  if (observer_) observer_->finished(cancelled);
  return record;
}

}  // namespace gt
