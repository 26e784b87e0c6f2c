// Fine-tuning data: JSONL, CSV or TSV rows with a source and a target field, rendered through a
// prompt template ("{source} TL;DR: {target}"), tokenised with the target (+ EOS) kept whole and
// the source cut when the pair exceeds max_length. Loss is on the target tokens only.
#pragma once
#include <filesystem>
#include <random>
#include <string>
#include <vector>

#include "core/io/tokenizer.h"
#include "core/train/batch.h"

namespace gt {

struct DatasetSpec {
  std::filesystem::path path;
  std::string format;  // jsonl | csv | tsv; empty: from the extension
  std::string sourceField = "source";
  std::string targetField = "target";
  std::string splitField = "split";
  std::string split;  // keep only rows whose split field equals this; empty: all rows
  std::string promptTemplate = "{source} TL;DR: {target}";
  int64_t maxLength = 512;
  int64_t maxExamples = 0;  // 0: all
};

// The template for encoder-decoders where none is given (the paper's FLAN-T5 setting): the
// encoder reads "summarize: {source}" (and EOS), the decoder produces the target.
inline constexpr const char* kEncoderDecoderTemplate = "summarize: {source}{target}";

struct Example {
  std::string source, target;
};

struct TokenizedExample {
  std::vector<int64_t> prompt;  // template up to {target}, source substituted
  std::vector<int64_t> target;  // target tokens + EOS
};

struct DatasetStats {
  int64_t rows = 0;             // rows read (after the split filter)
  int64_t used = 0;
  int64_t truncated = 0;        // source cut to fit max_length
  int64_t skippedTooLong = 0;   // target alone does not fit
  int64_t skippedEmpty = 0;     // empty source or target
};

// What a dataset file offers before any field is chosen: its field names (the first JSONL row's
// keys, or the CSV/TSV header) and the distinct values of the split field, in first-seen order.
struct DatasetLayout {
  std::string format;  // jsonl | csv | tsv
  std::vector<std::string> fields;
  std::vector<std::string> splits;
  int64_t rows = 0;
};
// Throws gt::Error naming the file (and line) for unreadable or malformed files and empty ones.
DatasetLayout inspectDatasetLayout(const std::filesystem::path& path, const std::string& format = "",
                                   const std::string& splitField = "split");

// Throws gt::Error naming the file (and line) for unreadable files, malformed rows, missing
// fields, and a dataset with no usable rows.
std::vector<Example> readExamples(const DatasetSpec& spec);

std::vector<TokenizedExample> tokenizeExamples(const std::vector<Example>& examples, const Tokenizer& tokenizer,
                                               const DatasetSpec& spec, int64_t eosId, DatasetStats& stats);

// Splits a template at {source} and {target}; throws gt::Error when either is missing or misplaced.
struct PromptTemplate {
  std::string beforeSource, betweenSourceAndTarget, afterTarget;
  static PromptTemplate parse(const std::string& text);
  std::string prompt(const std::string& source) const { return beforeSource + source + betweenSourceAndTarget; }
};

// The template's prompt with `source` substituted, its source tokens cut so the prompt has at most
// `budget` tokens; empty when even an empty source does not fit. *truncated says whether it was cut.
std::vector<int64_t> promptTokens(const Tokenizer& tokenizer, const PromptTemplate& tmpl, const std::string& source, int64_t budget,
                                  bool* truncated = nullptr);

// The multiple a run pads its batches' length to: `configured` when >= 0 (0: none), and for -1
// (auto) 64 on a CUDA device in a 16-bit precision, else none. Why: on an H200 a bf16 step of the
// demo model took a median 162 ms when its sequence length was new to the run and 30 ms when it had
// been seen before (fp32: 25 ms either way) — 16-bit kernels are chosen per shape — so a few
// padded lengths beat one new length per batch; fp32 and the CPU keep exact lengths (and FLOPs).
int64_t batchLengthMultiple(int64_t configured, const std::string& device, const std::string& precision);

// Right-padded batches in a seeded random order (same seed and epoch: same order). Each batch is
// as long as its longest row, rounded up to a multiple of `padToMultipleOf` when that is > 0 (fewer
// distinct shapes: GPU kernels chosen once per shape are reused) but never past `maxLength` (> 0).
std::vector<Batch> makeBatches(const std::vector<TokenizedExample>& data, int64_t batchSize, uint64_t seed, int64_t epoch,
                               int64_t padId, bool shuffle = true, int64_t padToMultipleOf = 0, int64_t maxLength = 0);
// The same for an encoder-decoder, in the same order: the encoder reads each example's prompt (which
// ends with EOS for one, see prepareRun), the decoder's labels are its target (+ EOS); each side is
// padded on its own.
std::vector<Batch> makeSeq2SeqBatches(const std::vector<TokenizedExample>& data, int64_t batchSize, uint64_t seed, int64_t epoch,
                                      int64_t padId, bool shuffle = true, int64_t padToMultipleOf = 0, int64_t maxLength = 0);

}  // namespace gt
