#include "core/eval/generation_eval.h"

#include <cmath>

#include <algorithm>
#include <chrono>
#include <numeric>

#include <nlohmann/json.hpp>

#include "core/model/causal_lm.h"
#include "core/model/seq2seq_generation.h"
#include "core/util/error.h"

namespace gt {
namespace {

std::string trimmed(const std::string& s) {
  const auto b = s.find_first_not_of(" \t\r\n");
  if (b == std::string::npos) return "";
  return s.substr(b, s.find_last_not_of(" \t\r\n") - b + 1);
}

}  // namespace

GenerationOptions evaluationSearch() {
  GenerationOptions g;
  g.numBeams = 4;
  g.repetitionPenalty = 2.5;
  g.lengthPenalty = 1.0;
  g.earlyStopping = true;
  g.maxNewTokens = 24;
  return g;
}

std::string predictionsJsonl(const std::vector<EvalRow>& rows) {
  std::string lines;
  for (const auto& row : rows)
    lines += nlohmann::ordered_json({{"prediction", row.prediction}, {"reference", row.reference}, {"rouge1", row.rouge.rouge1},
                                     {"rouge2", row.rouge.rouge2}, {"rougeL", row.rouge.rougeL}})
                 .dump(-1, ' ', false, nlohmann::json::error_handler_t::replace) +
             "\n";
  return lines;
}

EvalResult evaluateByGeneration(LanguageModel& model, const Tokenizer& tokenizer, const std::vector<Example>& examples,
                                const std::string& promptTemplate, const EvalOptions& o,
                                const std::function<bool(int64_t, int64_t)>& progress) {
  const GenerationOptions& g = o.generation;
  check(!examples.empty(), "evaluation: no examples");
  check(g.numBeams >= 1 && o.batchSize >= 1 && g.maxNewTokens >= 1, "evaluation: beams, batch size and max new tokens must be >= 1");
  auto* seq2seq = dynamic_cast<Seq2SeqLM*>(&model);
  auto* causal = dynamic_cast<CausalLM*>(&model);
  check(seq2seq || causal, "evaluation: the model is neither decoder-only nor encoder-decoder");
  // A model with learned positions cannot read past them (a prefix's virtual tokens take some):
  // cut prompts to fit those instead.
  const int64_t positions = model.config().maxPositions - (g.prefixCache && model.config().maxPositions > 0 ? g.prefixCache(1).length() : 0);
  const int64_t maxLength = positions > 0 ? std::min(o.maxLength, positions) : o.maxLength;
  // The prompt's budget: what max_length leaves for it (the encoder input holds the prompt and EOS).
  int64_t budget = maxLength - g.maxNewTokens;
  if (seq2seq) {
    check(!g.eosTokenIds.empty(), "evaluation: the model defines no eos_token_id to end the encoder input with");
    check(maxLength >= 2, "evaluation: --max-length (" + std::to_string(maxLength) + ") must leave room for the encoder input and EOS");
    budget = maxLength - 1;
  } else {
    check(maxLength > g.maxNewTokens, "evaluation: --max-length (" + std::to_string(maxLength) +
                                          (maxLength < o.maxLength ? ", the model's positions" : "") + ") must exceed --max-new-tokens (" +
                                          std::to_string(g.maxNewTokens) + "): generation needs room for the prompt");
  }
  check(std::isfinite(g.lengthPenalty), "evaluation: --length-penalty must be a finite number");
  const auto start = std::chrono::steady_clock::now();
  const PromptTemplate tmpl = PromptTemplate::parse(promptTemplate);

  std::vector<std::vector<int64_t>> prompts;
  std::vector<size_t> source;  // index into examples
  EvalResult result;
  for (size_t i = 0; i < examples.size(); ++i) {
    auto p = promptTokens(tokenizer, tmpl, examples[i].source, budget);
    if (p.empty()) {
      ++result.skipped;
      continue;
    }
    if (seq2seq) p.push_back(g.eosTokenIds.front());
    prompts.push_back(std::move(p));
    source.push_back(i);
  }
  check(!prompts.empty(), "evaluation: no prompt fits max length " + std::to_string(maxLength));

  // Batches of similar length (less padding); results go back to input order.
  std::vector<size_t> order(prompts.size());
  std::iota(order.begin(), order.end(), size_t(0));
  std::stable_sort(order.begin(), order.end(), [&](size_t a, size_t b) { return prompts[a].size() < prompts[b].size(); });
  std::vector<std::string> predictions(prompts.size());
  std::vector<bool> done(prompts.size(), false);
  int64_t finished = 0;
  for (size_t b = 0; b < order.size(); b += size_t(o.batchSize)) {
    std::vector<std::vector<int64_t>> batch;
    const size_t end = std::min(order.size(), b + size_t(o.batchSize));
    for (size_t k = b; k < end; ++k) batch.push_back(prompts[order[k]]);
    const auto outputs = seq2seq ? generateSeq2SeqBatch(*seq2seq, batch, g) : generateBatch(*causal, batch, g);
    for (size_t k = b; k < end; ++k) {
      const auto& out = outputs[k - b];
      // Decoder-only: the prompt comes back first; encoder-decoder: the decoder start token.
      const size_t given = seq2seq ? 1 : prompts[order[k]].size();
      std::vector<int64_t> fresh(out.begin() + long(given), out.end());
      if (!fresh.empty() && std::find(g.eosTokenIds.begin(), g.eosTokenIds.end(), fresh.back()) != g.eosTokenIds.end()) fresh.pop_back();
      predictions[order[k]] = trimmed(tokenizer.decode(fresh));
      done[order[k]] = true;
    }
    finished += int64_t(end - b);
    if (progress && !progress(finished, int64_t(prompts.size()))) break;
  }

  std::vector<RougeScores> scores;
  int64_t exact = 0;
  for (size_t i = 0; i < prompts.size(); ++i) {
    if (!done[i]) continue;
    EvalRow row;
    row.prediction = predictions[i];
    row.reference = examples[source[i]].target;
    row.rouge = rougeScores(row.prediction, row.reference, o.stem);
    row.exact = exactMatch(row.prediction, row.reference);
    exact += row.exact;
    scores.push_back(row.rouge);
    result.rows.push_back(std::move(row));
  }
  result.examples = int64_t(result.rows.size());
  result.rouge = meanRouge(scores);
  result.exactMatch = result.examples ? double(exact) / double(result.examples) : 0.0;
  result.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  return result;
}

}  // namespace gt
