#include "core/eval/generation_eval.h"

#include <cmath>

#include <algorithm>
#include <chrono>
#include <numeric>

#include <nlohmann/json.hpp>

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

EvalResult evaluateByGeneration(CausalLM& model, const Tokenizer& tokenizer, const std::vector<Example>& examples,
                                const std::string& promptTemplate, const EvalOptions& o,
                                const std::function<bool(int64_t, int64_t)>& progress) {
  const GenerationOptions& g = o.generation;
  check(!examples.empty(), "evaluation: no examples");
  check(g.numBeams >= 1 && o.batchSize >= 1 && g.maxNewTokens >= 1, "evaluation: beams, batch size and max new tokens must be >= 1");
  // A model with learned positions cannot read past them (a prefix's virtual tokens take some):
  // cut prompts to fit those instead.
  const int64_t positions = model.config().maxPositions - (g.prefixCache && model.config().maxPositions > 0 ? g.prefixCache(1).length() : 0);
  const int64_t maxLength = positions > 0 ? std::min(o.maxLength, positions) : o.maxLength;
  check(maxLength > g.maxNewTokens, "evaluation: --max-length (" + std::to_string(maxLength) + (maxLength < o.maxLength ? ", the model's positions" : "") +
                                        ") must exceed --max-new-tokens (" +
                                          std::to_string(g.maxNewTokens) + "): generation needs room for the prompt");
  check(std::isfinite(g.lengthPenalty), "evaluation: --length-penalty must be a finite number");
  const auto start = std::chrono::steady_clock::now();
  const PromptTemplate tmpl = PromptTemplate::parse(promptTemplate);

  std::vector<std::vector<int64_t>> prompts;
  std::vector<size_t> source;  // index into examples
  EvalResult result;
  for (size_t i = 0; i < examples.size(); ++i) {
    auto p = promptTokens(tokenizer, tmpl, examples[i].source, maxLength - g.maxNewTokens);
    if (p.empty()) {
      ++result.skipped;
      continue;
    }
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
    const auto outputs = generateBatch(model, batch, g);
    for (size_t k = b; k < end; ++k) {
      const auto& out = outputs[k - b];
      std::vector<int64_t> fresh(out.begin() + long(prompts[order[k]].size()), out.end());
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
