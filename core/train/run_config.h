// gt::RunConfig: everything that describes a run. Serialises to JSON (the GUI saves/loads it,
// the CLI takes --config run.json with flags overriding it).
#pragma once
#include <nlohmann/json.hpp>

#include <string>

namespace gt {

struct RunConfig {
  std::string model;       // HF model folder
  std::string tokenizer;   // default: the model folder
  std::string data;        // dataset file
  std::string dataFormat;  // jsonl | csv | tsv; empty: from the extension
  std::string sourceField = "source";
  std::string targetField = "target";
  std::string split;       // train rows: rows whose "split" field equals this (empty: all)
  std::string evalSplit;   // validation loss after each epoch on these rows (empty: none)
  std::string promptTemplate = "{source} TL;DR: {target}";
  int64_t maxLength = 512;
  int64_t maxTrainExamples = 0;
  int64_t maxEvalExamples = 200;

  std::string method = "gt";  // full | gt | top2 (the paper's FT-Top2) | top-blocks | lisa | badam | lora | prefix
  double rho = 0.5;
  int64_t epochs = 5;
  int64_t batchSize = 4;
  int64_t gradAccum = 1;
  double lr = 2e-5;
  double weightDecay = 0.01;
  std::string schedule = "linear";  // linear (decay to 0, no warm-up) | constant
  uint64_t seed = 42;
  std::string device = "cpu";
  std::string dtype = "float32";  // the weights' dtype; bfloat16/float16 here mean a "-true" precision
  // fp32 | bf16-mixed | fp16-mixed | bf16-true | fp16-true; auto: bf16-mixed on a CUDA device with
  // bfloat16, else fp32 (or the -true precision of a non-float32 dtype). See core/train/mixed_precision.h.
  std::string precision = "auto";
  // Activation checkpointing per decoder block: less memory, one more forward of each block the
  // backward pass reaches (counted in every FLOPs figure and in GreenTrainer's budget).
  bool gradientCheckpointing = false;
  // Pad each batch to a multiple of this many tokens (at most max_length; 0: to its longest row;
  // -1: auto, see batchLengthMultiple in dataset.h). The padding is masked out of the loss; it
  // costs FLOPs but gives the GPU few distinct shapes.
  int64_t padToMultipleOf = -1;

  // GreenTrainer
  int64_t reselectEveryEpochs = 1;
  int64_t reselectEverySteps = 0;  // > 0: also re-select every N optimizer steps
  std::string importance = "update_x_grad";
  std::string importanceGradAt = "update";
  // Batches the importance is measured on (their mean gradient, as one larger batch); 1: the paper's one.
  int64_t importanceBatches = 1;
  std::string solver = "exact";
  int64_t tq = 1000;
  bool earlyStop = true;

  // top-blocks: how many of the last decoder blocks train (with the final norm)
  int64_t topBlocks = 2;
  // LISA: every lisa_interval steps, lisa_layers random decoder layers (+ embeddings, norm, head) train
  int64_t lisaLayers = 2;
  int64_t lisaInterval = 20;
  // BAdam: one decoder layer at a time, switching every badam_interval steps in badam_order
  int64_t badamInterval = 50;
  std::string badamOrder = "ascending";  // ascending | descending | random
  // LoRA
  int64_t loraRank = 8;
  double loraAlpha = 32;
  double loraDropout = 0.1;
  std::string loraTargets;  // comma-separated module names; empty: the family's query and value projections
  // Prefix tuning
  int64_t prefixTokens = 20;

  // Evaluation by generation (ROUGE): at the end of the run, and after each epoch when asked
  std::string generateSplit;  // empty: none
  bool generateEveryEpoch = false;
  bool generateBeforeTraining = false;
  int64_t maxGenerateExamples = 0;  // 0: all rows of the split
  int64_t evalBeams = 4;
  double evalRepetitionPenalty = 2.5;
  int64_t evalMaxNewTokens = 24;
  int64_t evalBatchSize = 16;
  bool evalStem = false;

  // Crash safety: a checkpoint (weights, AdamW state, RNG, data position, selection) every N
  // optimizer steps and at each epoch end; 0: epoch ends only. `train --resume` continues from it.
  int64_t checkpointEverySteps = 100;

  std::string outDir;
  bool saveModel = true;

  nlohmann::json toJson() const;
  // Unknown keys and wrong types are errors naming the key and `where`.
  static RunConfig fromJson(const nlohmann::json& j, const std::string& where);
  // Throws gt::Error naming the field for values out of range (rho outside (0, 1], ...).
  void validate() const;
};

}  // namespace gt
