#include "core/model/beam_search.h"

#include <algorithm>
#include <cmath>

namespace gt {
namespace {

// transformers' "very large negative" used to knock candidates out of the running.
constexpr float kKnockOut = -1.0e9f;

torch::Tensor applyRepetitionPenalty(const torch::Tensor& scores, const std::vector<std::vector<int64_t>>& sequences, double penalty) {
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

}  // namespace

SequenceSearch::SequenceSearch(std::vector<int64_t> prompt, const GenerationOptions& o) : o_(o), promptLen_(int64_t(prompt.size())) {
  const int64_t K = o.numBeams;
  running_.assign(size_t(K), prompt);
  finished_.assign(size_t(K), prompt);
  isFinished_.assign(size_t(K), false);
  runningScores_ = torch::full({K}, kKnockOut, torch::kFloat32);
  runningScores_[0] = 0.0f;
  finishedScores_ = torch::full({K}, kKnockOut, torch::kFloat32);
  curLen_ = promptLen_;
}

const std::vector<int64_t>& SequenceSearch::result() const { return o_.numBeams == 1 ? running_[0] : finished_[0]; }

std::vector<int64_t> SequenceSearch::lastTokens() const {
  std::vector<int64_t> t;
  for (const auto& s : running_) t.push_back(s.back());
  return t;
}

void SequenceSearch::step(const torch::Tensor& logits) {
  if (o_.numBeams == 1)
    greedyStep(logits);
  else
    beamStep(logits);
}

void SequenceSearch::greedyStep(const torch::Tensor& logits) {
  auto& seq = running_[0];
  auto scores = applyRepetitionPenalty(logits, {seq}, o_.repetitionPenalty);
  const int64_t next = scores.argmax(-1).item<int64_t>();
  seq.push_back(next);
  reorder_ = {0};
  done_ = isEos(next, o_.eosTokenIds) || int64_t(seq.size()) - promptLen_ >= o_.maxNewTokens;
}

// Beam search step for step as transformers' vectorised _beam_search does it:
// keep 2*num_beams candidates, the best num_beams that did not stop keep
// running, those among the top num_beams that did stop (EOS or max length)
// compete for the finished list with score sum(logprob) /
// generated_length^length_penalty.
void SequenceSearch::beamStep(const torch::Tensor& logits) {
  const int64_t K = o_.numBeams;
  const int64_t maxLen = promptLen_ + o_.maxNewTokens;
  const int64_t keep = std::max<int64_t>(2, 1 + int64_t(o_.eosTokenIds.size())) * K;
  auto logProbs = torch::log_softmax(logits, -1);
  logProbs = applyRepetitionPenalty(logProbs, running_, o_.repetitionPenalty);
  const int64_t V = logProbs.size(1);
  auto accumulated = (logProbs + runningScores_.unsqueeze(1)).reshape({-1});
  auto top = accumulated.topk(keep);
  auto topScores = std::get<0>(top);
  auto topIndex = std::get<1>(top);

  std::vector<std::vector<int64_t>> candidates(static_cast<size_t>(keep));
  std::vector<int64_t> candidateBeam(static_cast<size_t>(keep));
  auto hits = torch::zeros({keep}, torch::kBool);
  for (int64_t i = 0; i < keep; ++i) {
    const int64_t idx = topIndex[i].item<int64_t>();
    candidateBeam[size_t(i)] = idx / V;
    candidates[size_t(i)] = running_[size_t(idx / V)];
    candidates[size_t(i)].push_back(idx % V);
    hits[i] = isEos(idx % V, o_.eosTokenIds) || curLen_ + 1 >= maxLen;
  }

  // Next running beams: the best K candidates that did not stop.
  auto runningCand = topScores + hits.to(torch::kFloat32) * kKnockOut;
  auto nextIdx = std::get<1>(runningCand.topk(K));
  std::vector<std::vector<int64_t>> nextRunning(static_cast<size_t>(K));
  reorder_.assign(size_t(K), 0);
  for (int64_t j = 0; j < K; ++j) {
    const int64_t c = nextIdx[j].item<int64_t>();
    nextRunning[size_t(j)] = candidates[size_t(c)];
    reorder_[size_t(j)] = candidateBeam[size_t(c)];
  }
  runningScores_ = runningCand.index_select(0, nextIdx);

  // Finished beams: only the top K candidates may finish.
  auto doneScores = topScores / std::pow(double(curLen_ + 1 - promptLen_), o_.lengthPenalty);
  const bool full = std::all_of(isFinished_.begin(), isFinished_.end(), [](bool b) { return b; }) && o_.earlyStopping;
  for (int64_t i = 0; i < keep; ++i) {
    const bool justFinished = i < K && hits[i].item<bool>();
    float penalty = 0.0f;
    if (full) penalty += kKnockOut;
    if (!heuristicUnsatisfied_) penalty += kKnockOut;
    if (!justFinished) penalty += kKnockOut;
    doneScores[i] = doneScores[i].item<float>() + penalty;
  }
  auto merged = torch::cat({finishedScores_, doneScores});
  auto best = std::get<1>(merged.topk(K));
  std::vector<std::vector<int64_t>> nextFinished(static_cast<size_t>(K));
  std::vector<bool> nextIsFinished(static_cast<size_t>(K));
  for (int64_t j = 0; j < K; ++j) {
    const int64_t m = best[j].item<int64_t>();
    if (m < K) {
      nextFinished[size_t(j)] = finished_[size_t(m)];
      nextIsFinished[size_t(j)] = isFinished_[size_t(m)];
    } else {
      nextFinished[size_t(j)] = candidates[size_t(m - K)];
      nextIsFinished[size_t(j)] = (m - K) < K && hits[m - K].item<bool>();
    }
  }
  finishedScores_ = merged.index_select(0, best);
  finished_ = std::move(nextFinished);
  isFinished_ = std::move(nextIsFinished);
  running_ = std::move(nextRunning);
  ++curLen_;

  // Can a running beam still beat the worst finished one?
  // (early_stopping=True/False heuristic)
  const double bestPossible = runningScores_[0].item<float>() / std::pow(double(curLen_ - promptLen_), o_.lengthPenalty);
  const float worst = finishedScores_.min().item<float>();
  bool improvable = false;
  for (int64_t j = 0; j < K; ++j) improvable |= bestPossible > (isFinished_[size_t(j)] ? worst : kKnockOut);
  heuristicUnsatisfied_ = heuristicUnsatisfied_ && improvable;

  const bool allFinished = std::all_of(isFinished_.begin(), isFinished_.end(), [](bool b) { return b; });
  const bool allHit = hits.all().item<bool>();
  done_ = !heuristicUnsatisfied_ || (allFinished && o_.earlyStopping) || allHit || curLen_ >= maxLen;
}

std::vector<std::vector<int64_t>> searchBatch(const std::vector<std::vector<int64_t>>& starts, const GenerationOptions& o,
                                              torch::Tensor logits, const SearchStep& step) {
  const int64_t K = o.numBeams;
  std::vector<SequenceSearch> searches;
  searches.reserve(starts.size());
  for (const auto& s : starts) searches.emplace_back(s, o);
  std::vector<size_t> active(starts.size());  // sequences whose rows are in the batch, in row order
  for (size_t b = 0; b < starts.size(); ++b) active[b] = b;
  while (true) {
    std::vector<size_t> stillActive;
    std::vector<int64_t> gather, next;
    for (size_t a = 0; a < active.size(); ++a) {
      SequenceSearch& s = searches[active[a]];
      s.step(logits.slice(0, int64_t(a) * K, int64_t(a + 1) * K));
      if (s.done()) continue;
      stillActive.push_back(active[a]);
      for (int64_t src : s.reorder()) gather.push_back(int64_t(a) * K + src);
      for (int64_t t : s.lastTokens()) next.push_back(t);
    }
    if (stillActive.empty()) break;
    active = std::move(stillActive);
    logits = step(torch::tensor(gather, torch::kLong), torch::tensor(next, torch::kLong).view({-1, 1}));
  }
  std::vector<std::vector<int64_t>> out;
  for (const auto& s : searches) out.push_back(s.result());
  return out;
}

}  // namespace gt
