#include "core/train/prepared_run.h"

#include "core/util/runtime_info.h"

#include "core/io/checkpoint.h"
#include "core/io/dtype_name.h"
#include "core/util/error.h"

namespace gt {

DatasetSpec datasetSpec(const RunConfig& c) {
  DatasetSpec spec;
  spec.path = c.data;
  spec.format = c.dataFormat;
  spec.sourceField = c.sourceField;
  spec.targetField = c.targetField;
  spec.split = c.split;
  spec.promptTemplate = c.promptTemplate;
  spec.maxLength = c.maxLength;
  spec.maxExamples = c.maxTrainExamples;
  return spec;
}

PreparedRun prepareRun(const RunConfig& c) {
  PreparedRun p;
  // Cheap checks first: a missing dataset should not wait for the model to load.
  check(std::filesystem::is_regular_file(c.data), c.data + ": dataset file not found");
  checkDeviceAndDtype(c.device, c.dtype);
  LoadOptions lo;
  lo.dtype = dtypeFromName(c.dtype);
  lo.device = torch::Device(c.device);
  p.model = loadLanguageModel(c.model, lo);
  const auto& mc = p.model->config();
  const std::string configFile = (std::filesystem::path(c.model) / "config.json").string();
  check(mc.maxPositions <= 0 || c.maxLength <= mc.maxPositions,
        "max_length " + std::to_string(c.maxLength) + " is longer than the model's " + std::to_string(mc.maxPositions) +
            " learned positions (" + configFile + ")");
  // Prefix tuning's virtual tokens take positions too.
  check(c.method != "prefix" || mc.maxPositions <= 0 || c.maxLength + c.prefixTokens <= mc.maxPositions,
        "max_length " + std::to_string(c.maxLength) + " + prefix_tokens " + std::to_string(c.prefixTokens) + " is longer than the model's " +
            std::to_string(mc.maxPositions) + " learned positions (" + configFile + "); lower --max-length or --prefix-tokens");
  p.tokenizer = loadTokenizer(c.tokenizer.empty() ? c.model : c.tokenizer);
  const Tokenizer* tokenizer = p.tokenizer.get();
  checkTokenizerFitsModel(tokenizer->vocabSize(), mc);
  const int64_t eos = mc.eosTokenIds.empty() ? -1 : mc.eosTokenIds.front();
  p.padId = mc.padTokenId >= 0 ? mc.padTokenId : std::max<int64_t>(eos, 0);
  DatasetSpec spec = datasetSpec(c);
  const bool encoderDecoder = mc.isEncoderDecoder();
  if (encoderDecoder) {
    check(eos >= 0, configFile + ": an encoder-decoder needs eos_token_id (it ends the encoder's input)");
    spec.maxLength -= 1;  // room for the encoder's EOS
    if (spec.promptTemplate == RunConfig{}.promptTemplate) spec.promptTemplate = kEncoderDecoderTemplate;
  }
  p.promptTemplate = spec.promptTemplate;
  // An encoder-decoder's prompt is the encoder's input: it ends with EOS.
  auto tokenized = [&](const DatasetSpec& s, DatasetStats& stats) {
    auto data = tokenizeExamples(readExamples(s), *tokenizer, s, eos, stats);
    if (encoderDecoder)
      for (auto& ex : data) ex.prompt.push_back(eos);
    return data;
  };
  p.train = tokenized(spec, p.trainStats);
  if (!c.evalSplit.empty()) {
    spec.split = c.evalSplit;
    spec.maxExamples = c.maxEvalExamples;
    DatasetStats evalStats;
    p.eval = tokenized(spec, evalStats);
  }
  if (!c.generateSplit.empty()) {
    spec.split = c.generateSplit;
    spec.maxExamples = c.maxGenerateExamples;
    p.generate = readExamples(spec);
  }
  return p;
}

CausalLM& PreparedRun::decoderOnly(const std::string& what) const {
  auto* causal = dynamic_cast<CausalLM*>(model.get());
  check(causal != nullptr, what + " needs a decoder-only model; model_type '" + model->config().modelType + "' is an encoder-decoder");
  return *causal;
}

std::vector<Batch> PreparedRun::batches(const std::vector<TokenizedExample>& data, int64_t batchSize, uint64_t seed, int64_t epoch,
                                        bool shuffle, int64_t padToMultipleOf, int64_t maxLength) const {
  return encoderDecoder() ? makeSeq2SeqBatches(data, batchSize, seed, epoch, padId, shuffle, padToMultipleOf, maxLength)
                          : makeBatches(data, batchSize, seed, epoch, padId, shuffle, padToMultipleOf, maxLength);
}

}  // namespace gt
