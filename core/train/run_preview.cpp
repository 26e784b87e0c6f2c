#include "core/train/run_preview.h"

#include <chrono>

#include "core/green/flops_profiler.h"
#include "core/green/importance.h"
#include "core/io/checkpoint.h"
#include "core/model/model_config.h"
#include "core/train/adamw.h"
#include "core/train/mixed_precision.h"
#include "core/train/prepared_run.h"
#include "core/util/error.h"

namespace gt {
namespace {

ChainSummary chainSummary(LanguageModel& model, const FlopsProfile& profile) {
  ChainSummary s{profile.batch, profile.seq, profile.forward.total(), profile.full.total(), {}};
  auto named = model.named_parameters(true);
  for (const auto& t : profile.tensors) s.tensors.push_back({t.name, named[t.name].sizes().vec(), t.dw.total(), t.reach.total()});
  return s;
}

}  // namespace

SelectionProblem ChainSummary::problem(double rho, const std::vector<double>& importance, int64_t tq) const {
  check(importance.empty() || importance.size() == tensors.size(),
        "selection: " + std::to_string(importance.size()) + " importance values for " + std::to_string(tensors.size()) + " tensors");
  SelectionProblem p{tFp, tFull, rho, tq, {}};
  for (size_t i = 0; i < tensors.size(); ++i)
    p.tensors.push_back({tensors[i].name, tensors[i].dw, tensors[i].reach, importance.empty() ? 1.0 : importance[i]});
  return p;
}

ModelSummary inspectModel(const RunConfig& c, int64_t seq) {
  check(!c.model.empty(), "model: no model folder chosen");
  check(std::filesystem::is_directory(c.model), c.model + ": not a folder (expected a Hugging Face model folder with config.json)");
  auto model = loadLanguageModel(c.model);
  const std::string tokenizerPath = c.tokenizer.empty() ? c.model : c.tokenizer;
  const auto tokenizer = loadTokenizer(tokenizerPath);
  const auto& mc = model->config();
  check(tokenizer->vocabSize() <= mc.vocabSize, tokenizerPath + ": tokenizer has " + std::to_string(tokenizer->vocabSize()) +
                                                    " tokens but the model's vocab_size is " + std::to_string(mc.vocabSize) +
                                                    " (tokenizer and model do not belong together)");
  ModelSummary s;
  s.folder = c.model;
  s.modelType = mc.modelType;
  s.tokenizer = tokenizerPath;
  for (const auto& p : model->parameters()) s.parameters += p.numel();
  s.layers = mc.numLayers;
  s.hiddenSize = mc.hiddenSize;
  s.vocabSize = mc.vocabSize;
  s.tokenizerVocab = tokenizer->vocabSize();
  s.maxPositions = mc.maxPositions;
  s.decoderLayers = mc.isEncoderDecoder() ? mc.numDecoderLayers : 0;
  const int64_t fitted = mc.maxPositions > 0 ? std::min(seq, mc.maxPositions) : seq;
  // An encoder-decoder is profiled with `seq` tokens on both sides (the batch's own shape is used once training starts).
  s.chain = chainSummary(*model, profileFlops(mc, c.batchSize, fitted, c.gradientCheckpointing, mc.isEncoderDecoder() ? fitted : 0));
  return s;
}

DatasetPreview datasetLayout(const RunConfig& c) {
  const auto layout = inspectDatasetLayout(c.data, c.dataFormat);
  return {layout.format, layout.fields, layout.splits, layout.rows, 0, "", {}};
}

DatasetPreview previewDataset(const RunConfig& c, int64_t rows) {
  DatasetPreview out = datasetLayout(c);
  DatasetSpec spec = datasetSpec(c);
  spec.maxExamples = 0;
  std::vector<Example> examples;
  try {
    PromptTemplate::parse(c.promptTemplate);
    examples = readExamples(spec);
  } catch (const Error& e) {
    out.problem = e.what();
    return out;
  }
  out.rows = int64_t(examples.size());
  std::unique_ptr<Tokenizer> tokenizer;
  int64_t eos = -1;
  if (!c.tokenizer.empty() || !c.model.empty()) {
    tokenizer = loadTokenizer(c.tokenizer.empty() ? c.model : c.tokenizer);
    if (!c.model.empty()) {
      const auto mc = ModelConfig::fromFile(std::filesystem::path(c.model) / "config.json");
      if (!mc.eosTokenIds.empty()) eos = mc.eosTokenIds.front();
    }
  }
  for (size_t i = 0; i < examples.size() && int64_t(i) < rows; ++i) {
    DatasetPreviewRow row{examples[i].source, examples[i].target, {}, -1, -1, false, false};
    if (tokenizer) {
      DatasetStats stats;
      try {
        const auto t = tokenizeExamples({examples[i]}, *tokenizer, spec, eos, stats).front();
        row.promptTokens = int64_t(t.prompt.size());
        row.targetTokens = int64_t(t.target.size());
        row.truncated = stats.truncated > 0;
        row.tokens = tokenizer->tokens(t.prompt);
        for (auto& token : tokenizer->tokens(t.target)) row.tokens.push_back(std::move(token));
      } catch (const Error&) {
        row.skipped = true;  // tokenizeExamples refuses a set with no usable row
      }
    }
    out.first.push_back(std::move(row));
  }
  return out;
}

SelectionPreview previewSelection(const RunConfig& config) {
  RunConfig c = config;
  c.validate();
  c.evalSplit.clear();
  c.generateSplit.clear();
  const auto start = std::chrono::steady_clock::now();
  torch::manual_seed(c.seed);
  PreparedRun prep = prepareRun(c);
  LanguageModel& model = *prep.model;
  model.train();
  const Batch batch = prep.batches(prep.train, c.batchSize, c.seed, 0, true, batchLengthMultiple(c.padToMultipleOf, c.device, resolvePrecision(c)),
                                   c.maxLength)
                          .front()
                          .to(torch::Device(c.device));
  const FlopsProfile profile = profileFlops(model.config(), batch.size(), batch.seq(), c.gradientCheckpointing, batch.decoderSeq());
  std::vector<std::pair<std::string, torch::Tensor>> params;
  for (const auto& p : model.named_parameters(true)) params.emplace_back(p.key(), p.value());
  AdamW optimizer(params, {c.lr, 0.9, 0.999, 1e-8, c.weightDecay});  // the step-0 learning rate of both schedules
  const auto imp = computeImportance(model, optimizer, profile, profile.tensors.size(), batch, {c.importance, c.importanceGradAt});
  SelectionPreview out;
  out.chain = chainSummary(model, profile);
  out.importance = imp.scaled;
  out.loss = imp.loss;
  out.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  return out;
}

}  // namespace gt
