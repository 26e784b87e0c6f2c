#include "core/model/generation.h"

#include <algorithm>

#include "core/util/error.h"

namespace gt {
namespace {

// transformers' "very large negative" used to knock candidates out of the running.
constexpr float kKnockOut = -1.0e9f;

torch::Tensor applyRepetitionPenalty(const torch::Tensor& scores, const std::vector<std::vector<int64_t>>& sequences,
                                     double penalty) {
  if (penalty == 1.0) return scores;
  auto out = scores.clone();
  for (size_t b = 0; b < sequences.size(); ++b) {
    auto ids = torch::tensor(sequences[b], torch::kLong).to(scores.device());
    auto row = out[b];
    auto picked = row.index_select(0, ids);
    picked = torch::where(picked < 0, picked * penalty, picked / penalty);
    row.index_put_({ids}, picked);
  }
  return out;
}

bool isEos(int64_t token, const std::vector<int64_t>& eos) { return std::find(eos.begin(), eos.end(), token) != eos.end(); }

torch::Tensor lastLogits(CausalLM& model, const std::vector<std::vector<int64_t>>& inputs, KVCache& cache) {
  const auto device = model.parameters().front().device();
  const int64_t B = int64_t(inputs.size()), T = int64_t(inputs[0].size());
  std::vector<int64_t> flat;
  for (const auto& s : inputs) flat.insert(flat.end(), s.begin(), s.end());
  auto ids = torch::tensor(flat, torch::kLong).view({B, T}).to(device);
  auto logits = model.forward(ids, {}, &cache);
  return logits.select(1, T - 1).to(torch::kFloat32);
}

std::vector<int64_t> greedy(CausalLM& model, const std::vector<int64_t>& prompt, const GenerationOptions& o) {
  KVCache cache;
  std::vector<int64_t> seq = prompt;
  auto logits = lastLogits(model, {prompt}, cache);
  for (int64_t step = 0; step < o.maxNewTokens; ++step) {
    auto scores = applyRepetitionPenalty(logits, {seq}, o.repetitionPenalty);
    const int64_t next = scores.argmax(-1).item<int64_t>();
    seq.push_back(next);
    if (isEos(next, o.eosTokenIds) || step + 1 == o.maxNewTokens) break;
    logits = lastLogits(model, {{next}}, cache);
  }
  return seq;
}

// Beam search for one prompt, step for step as transformers' vectorised _beam_search does it:
// keep 2*num_beams candidates, the best num_beams that did not stop keep running, those among
// the top num_beams that did stop (EOS or max length) compete for the finished list with score
// sum(logprob) / generated_length^length_penalty.
std::vector<int64_t> beamSearch(CausalLM& model, const std::vector<int64_t>& prompt, const GenerationOptions& o) {
  const int64_t K = o.numBeams;
  const int64_t promptLen = int64_t(prompt.size());
  const int64_t maxLen = promptLen + o.maxNewTokens;
  const int64_t keep = std::max<int64_t>(2, 1 + int64_t(o.eosTokenIds.size())) * K;

  std::vector<std::vector<int64_t>> running(K, prompt);
  auto runningScores = torch::full({K}, kKnockOut, torch::kFloat32);
  runningScores[0] = 0.0f;
  std::vector<std::vector<int64_t>> finished(K, prompt);
  auto finishedScores = torch::full({K}, kKnockOut, torch::kFloat32);
  std::vector<bool> isFinished(K, false);
  bool heuristicUnsatisfied = true;

  KVCache cache;
  auto logits = lastLogits(model, running, cache);
  int64_t curLen = promptLen;
  while (curLen < maxLen) {
    auto logProbs = torch::log_softmax(logits, -1).cpu();
    logProbs = applyRepetitionPenalty(logProbs, running, o.repetitionPenalty);
    const int64_t V = logProbs.size(1);
    auto accumulated = (logProbs + runningScores.unsqueeze(1)).reshape({-1});
    auto top = accumulated.topk(keep);
    auto topScores = std::get<0>(top);
    auto topIndex = std::get<1>(top);

    std::vector<std::vector<int64_t>> candidates(keep);
    std::vector<int64_t> candidateBeam(keep);
    auto hits = torch::zeros({keep}, torch::kBool);
    for (int64_t i = 0; i < keep; ++i) {
      const int64_t idx = topIndex[i].item<int64_t>();
      candidateBeam[i] = idx / V;
      candidates[i] = running[candidateBeam[i]];
      candidates[i].push_back(idx % V);
      hits[i] = isEos(idx % V, o.eosTokenIds) || curLen + 1 >= maxLen;
    }

    // Next running beams: the best K candidates that did not stop.
    auto runningCand = topScores + hits.to(torch::kFloat32) * kKnockOut;
    auto nextIdx = std::get<1>(runningCand.topk(K));
    std::vector<std::vector<int64_t>> nextRunning(K);
    std::vector<int64_t> reorder(K);
    for (int64_t j = 0; j < K; ++j) {
      const int64_t c = nextIdx[j].item<int64_t>();
      nextRunning[j] = candidates[c];
      reorder[j] = candidateBeam[c];
    }
    runningScores = runningCand.index_select(0, nextIdx);

    // Finished beams: only the top K candidates may finish.
    auto doneScores = topScores / std::pow(double(curLen + 1 - promptLen), o.lengthPenalty);
    const bool full = std::all_of(isFinished.begin(), isFinished.end(), [](bool b) { return b; }) && o.earlyStopping;
    for (int64_t i = 0; i < keep; ++i) {
      const bool justFinished = i < K && hits[i].item<bool>();
      float penalty = 0.0f;
      if (full) penalty += kKnockOut;
      if (!heuristicUnsatisfied) penalty += kKnockOut;
      if (!justFinished) penalty += kKnockOut;
      doneScores[i] = doneScores[i].item<float>() + penalty;
    }
    auto merged = torch::cat({finishedScores, doneScores});
    auto best = std::get<1>(merged.topk(K));
    std::vector<std::vector<int64_t>> nextFinished(K);
    std::vector<bool> nextIsFinished(K);
    for (int64_t j = 0; j < K; ++j) {
      const int64_t m = best[j].item<int64_t>();
      if (m < K) {
        nextFinished[j] = finished[m];
        nextIsFinished[j] = isFinished[m];
      } else {
        nextFinished[j] = candidates[m - K];
        nextIsFinished[j] = (m - K) < K && hits[m - K].item<bool>();
      }
    }
    finishedScores = merged.index_select(0, best);
    finished = std::move(nextFinished);
    isFinished = std::move(nextIsFinished);
    running = std::move(nextRunning);
    ++curLen;

    // Can a running beam still beat the worst finished one? (early_stopping=True/False heuristic)
    const double bestPossible = runningScores[0].item<float>() / std::pow(double(curLen - promptLen), o.lengthPenalty);
    const float worst = finishedScores.min().item<float>();
    bool improvable = false;
    for (int64_t j = 0; j < K; ++j) improvable |= bestPossible > (isFinished[j] ? worst : kKnockOut);
    heuristicUnsatisfied = heuristicUnsatisfied && improvable;

    const bool allFinished = std::all_of(isFinished.begin(), isFinished.end(), [](bool b) { return b; });
    const bool allHit = hits.all().item<bool>();
    if (!heuristicUnsatisfied || (allFinished && o.earlyStopping) || allHit || curLen >= maxLen) break;

    cache.select(torch::tensor(reorder, torch::kLong).to(logits.device()));
    std::vector<std::vector<int64_t>> last(K);
    for (int64_t j = 0; j < K; ++j) last[j] = {running[j].back()};
    logits = lastLogits(model, last, cache);
  }
  return finished[0];
}

}  // namespace

std::vector<int64_t> generate(CausalLM& model, const std::vector<int64_t>& prompt, const GenerationOptions& o) {
  check(!prompt.empty(), "generate: the prompt is empty (expected at least one token id)");
  for (int64_t id : prompt)
    check(id >= 0 && id < model.config().vocabSize,
          "generate: prompt token id " + std::to_string(id) + " is outside the vocabulary [0, " + std::to_string(model.config().vocabSize) + ")");
  check(o.maxNewTokens >= 0, "generate: max_new_tokens must be >= 0");
  check(o.numBeams >= 1, "generate: num_beams must be >= 1");
  check(o.repetitionPenalty > 0, "generate: repetition_penalty must be > 0");
  if (o.maxNewTokens == 0) return prompt;
  torch::NoGradGuard noGrad;
  const bool wasTraining = model.is_training();
  model.eval();
  auto out = o.numBeams == 1 ? greedy(model, prompt, o) : beamSearch(model, prompt, o);
  if (wasTraining) model.train();
  return out;
}

}  // namespace gt
