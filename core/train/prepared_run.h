// What a run is made of once its config is resolved: the loaded model and tokenizer and the
// tokenised examples. Shared by the trainer and the pre-run selection preview, so both see the
// same data in the same order.
#pragma once
#include <memory>
#include <vector>

#include "core/io/tokenizer.h"
#include "core/model/causal_lm.h"
#include "core/train/dataset.h"
#include "core/train/run_config.h"

namespace gt {

struct PreparedRun {
  std::shared_ptr<CausalLM> model;
  std::unique_ptr<Tokenizer> tokenizer;
  std::vector<TokenizedExample> train, eval;
  std::vector<Example> generate;  // rows scored by generation (ROUGE)
  DatasetStats trainStats;
  int64_t padId = 0;
};

// The dataset fields of a config (train split, template, limits).
DatasetSpec datasetSpec(const RunConfig& config);

// Loads the model (config.device/dtype) and tokenizer and reads the train/eval/generate rows.
// Throws gt::Error naming the file for a missing dataset, a bad model folder, or a tokenizer that
// does not belong to the model.
PreparedRun prepareRun(const RunConfig& config);

}  // namespace gt
