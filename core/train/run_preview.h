// What the desktop app shows before a run starts, computed by the engine: a model folder's
// summary and FLOPs chain, a dataset's fields and first rows as the model will see them, and the
// importance GreenTrainer would select on for the run's first batch. No Torch in this header, so
// Qt code (and moc) can include it.
#pragma once
#include <string>
#include <vector>

#include "core/green/selector.h"
#include "core/report/run_record.h"
#include "core/train/run_config.h"

namespace gt {

// A model's FLOPs chain at one batch shape (GREENTRAINER.md §2), in the run record's terms.
struct ChainSummary {
  int64_t batch = 0, seq = 0;
  double tFp = 0, tFull = 0;
  std::vector<ChainEntry> tensors;  // output first

  // The selection problem for rho with this importance (chain order). Empty importance: every
  // tensor counts 1, so the DP finds the largest number of tensors rho allows.
  SelectionProblem problem(double rho, const std::vector<double>& importance = {}, int64_t tq = 1000) const;
};

struct ModelSummary {
  std::string folder, modelType, tokenizer;
  int64_t parameters = 0, layers = 0, hiddenSize = 0, vocabSize = 0, tokenizerVocab = 0;
  int64_t maxPositions = 0;  // learned positions (OPT, GPT-2): the longest sequence; 0: no limit
  int64_t decoderLayers = 0;  // an encoder-decoder's decoder depth (layers is its encoder's); 0: decoder-only
  ChainSummary chain;
};

// Loads config.model on the CPU (every weight checked, as for training) and its tokenizer
// (config.tokenizer, else the model folder); the chain at (config.batchSize, seq). Throws
// gt::Error naming the folder and what is wrong.
ModelSummary inspectModel(const RunConfig& config, int64_t seq);

struct DatasetPreviewRow {
  std::string source, target;
  std::vector<std::string> tokens;  // the training sequence as the tokenizer splits it: prompt, then target (+ EOS)
  int64_t promptTokens = -1, targetTokens = -1;  // -1: no tokenizer
  bool truncated = false;  // source cut to fit max_length
  bool skipped = false;    // empty field, or the target alone does not fit
};

struct DatasetPreview {
  std::string format;
  std::vector<std::string> fields;  // of the first row (JSONL) or the header (CSV/TSV)
  std::vector<std::string> splits;  // distinct values of the "split" field
  int64_t fileRows = 0;
  int64_t rows = 0;                 // rows of the chosen split
  std::string problem;              // why the chosen fields/split/template cannot be used ("" when they can)
  std::vector<DatasetPreviewRow> first;
};

// The file's format, fields, split values and row count only (one pass, no examples read).
// Throws gt::Error naming a malformed or empty file.
DatasetPreview datasetLayout(const RunConfig& config);

// Reads config.data. A malformed or empty file throws gt::Error naming it; a field mapping,
// split or template that does not fit the file is reported in `problem` with the fields listed,
// so the user can pick others. The first `rows` rows are tokenised with the tokenizer of
// config.tokenizer / config.model when one is set.
DatasetPreview previewDataset(const RunConfig& config, int64_t rows);

struct SelectionPreview {
  ChainSummary chain;              // at the first batch's shape
  std::vector<double> importance;  // scaled (paper Eq. 6), chain order, every tensor evaluated
  double loss = 0, seconds = 0;
};

// The importance the trainer's first selection uses: the first batch of epoch 0 in the run's
// shuffled order, Δw from one AdamW step at the run's learning rate. Leaves nothing on disk.
SelectionPreview previewSelection(const RunConfig& config);

}  // namespace gt
