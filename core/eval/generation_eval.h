// Evaluation by generation: each example's prompt (the training template up to {target}) is
// completed with beam search, batched, and the completion is scored against the reference
// target with ROUGE-1/2/L F1 and exact match. A decoder-only model continues the prompt; an
// encoder-decoder (T5) reads the prompt followed by EOS (as T5's tokenizer adds it) and generates
// the target in its decoder.
#pragma once
#include <functional>
#include <string>
#include <vector>

#include "core/eval/rouge.h"
#include "core/io/tokenizer.h"
#include "core/model/language_model.h"
#include "core/model/generation.h"
#include "core/train/dataset.h"

namespace gt {

// The search evaluation uses unless told otherwise: beam 4, repetition penalty 2.5, length
// penalty 1, early stopping, 24 new tokens (EOS ids and any prefix are the caller's to set).
GenerationOptions evaluationSearch();

struct EvalOptions {
  GenerationOptions generation = evaluationSearch();
  int64_t batchSize = 16;   // prompts generated together
  int64_t maxLength = 512;  // prompt + new tokens (encoder-decoder: the encoder input); longer sources are cut
  bool stem = false;        // Porter-stem tokens before ROUGE
};

struct EvalRow {
  std::string prediction, reference;
  RougeScores rouge;
  bool exact = false;
};

struct EvalResult {
  int64_t examples = 0;
  int64_t skipped = 0;  // prompts that cannot fit max_length even with an empty source
  RougeScores rouge;    // mean F1 over examples
  double exactMatch = 0;
  double seconds = 0;
  std::vector<EvalRow> rows;  // in input order (skipped rows left out)
};

// `progress(done, total)` is called after each batch; returning false stops early (the result
// then covers the examples done so far). Throws gt::Error for bad options or an empty input.
EvalResult evaluateByGeneration(LanguageModel& model, const Tokenizer& tokenizer, const std::vector<Example>& examples,
                                const std::string& promptTemplate, const EvalOptions& options,
                                const std::function<bool(int64_t, int64_t)>& progress = {});

// One JSON line per row: {"prediction", "reference", "rouge1", "rouge2", "rougeL"}.
std::string predictionsJsonl(const std::vector<EvalRow>& rows);

}  // namespace gt
