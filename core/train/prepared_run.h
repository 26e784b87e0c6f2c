// What a run is made of once its config is resolved: the loaded model and tokenizer and the
// tokenised examples. Shared by the trainer and the pre-run selection preview, so both see the
// same data in the same order.
#pragma once
#include <memory>
#include <vector>

#include "core/io/tokenizer.h"
#include "core/model/causal_lm.h"
#include "core/model/seq2seq_lm.h"
#include "core/train/dataset.h"
#include "core/train/run_config.h"

namespace gt {

struct PreparedRun {
  std::shared_ptr<LanguageModel> model;  // a CausalLM, or a Seq2SeqLM for an encoder-decoder (t5)
  std::unique_ptr<Tokenizer> tokenizer;
  std::vector<TokenizedExample> train, eval;
  std::vector<Example> generate;  // rows scored by generation (ROUGE)
  DatasetStats trainStats;
  int64_t padId = 0;
  // The template the examples were rendered with: the config's, except that an encoder-decoder
  // given the decoder-only default reads "summarize: {source}" (kEncoderDecoderTemplate).
  std::string promptTemplate;

  bool encoderDecoder() const { return model->config().isEncoderDecoder(); }
  // The model as a decoder-only one; gt::Error naming `what` needs one when it is an encoder-decoder.
  CausalLM& decoderOnly(const std::string& what) const;
  // makeBatches or makeSeq2SeqBatches, as the model needs.
  std::vector<Batch> batches(const std::vector<TokenizedExample>& data, int64_t batchSize, uint64_t seed, int64_t epoch, bool shuffle,
                             int64_t padToMultipleOf = 0, int64_t maxLength = 0) const;
};

// The dataset fields of a config (train split, template, limits).
DatasetSpec datasetSpec(const RunConfig& config);

// Loads the model (config.device/dtype) and tokenizer and reads the train/eval/generate rows. For an
// encoder-decoder each prompt ends with EOS (the encoder's input, as T5's tokenizer makes it) and
// max_length bounds prompt + EOS + target.
// Throws gt::Error naming the file for a missing dataset, a bad model folder, or a tokenizer that
// does not belong to the model.
PreparedRun prepareRun(const RunConfig& config);

}  // namespace gt
