#include "core/model/generation.h"

#include <cmath>

#include <algorithm>

#include "core/util/error.h"
#include "core/util/json_file.h"

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

// One prompt's search state. step() takes the next-token logits of its rows (numBeams rows, in
// the order of the running beams) and returns the rows to continue from plus their next tokens.
class Search {
 public:
  Search(std::vector<int64_t> prompt, const GenerationOptions& o) : o_(o), promptLen_(int64_t(prompt.size())) {
    const int64_t K = o.numBeams;
    running_.assign(size_t(K), prompt);
    finished_.assign(size_t(K), prompt);
    isFinished_.assign(size_t(K), false);
    runningScores_ = torch::full({K}, kKnockOut, torch::kFloat32);
    runningScores_[0] = 0.0f;
    finishedScores_ = torch::full({K}, kKnockOut, torch::kFloat32);
    curLen_ = promptLen_;
  }
  bool done() const { return done_; }
  // The best sequence: prompt + new tokens.
  const std::vector<int64_t>& result() const { return o_.numBeams == 1 ? running_[0] : finished_[0]; }
  // Rows (0..numBeams-1) of the previous step each continuing beam comes from, and its token.
  const std::vector<int64_t>& reorder() const { return reorder_; }
  std::vector<int64_t> lastTokens() const {
    std::vector<int64_t> t;
    for (const auto& s : running_) t.push_back(s.back());
    return t;
  }

  void step(const torch::Tensor& logits) {
    if (o_.numBeams == 1) greedyStep(logits);
    else beamStep(logits);
  }

 private:
  void greedyStep(const torch::Tensor& logits) {
    auto& seq = running_[0];
    auto scores = applyRepetitionPenalty(logits, {seq}, o_.repetitionPenalty);
    const int64_t next = scores.argmax(-1).item<int64_t>();
    seq.push_back(next);
    reorder_ = {0};
    done_ = isEos(next, o_.eosTokenIds) || int64_t(seq.size()) - promptLen_ >= o_.maxNewTokens;
  }

  // Beam search step for step as transformers' vectorised _beam_search does it: keep
  // 2*num_beams candidates, the best num_beams that did not stop keep running, those among the
  // top num_beams that did stop (EOS or max length) compete for the finished list with score
  // sum(logprob) / generated_length^length_penalty.
  void beamStep(const torch::Tensor& logits) {
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

    // Can a running beam still beat the worst finished one? (early_stopping=True/False heuristic)
    const double bestPossible = runningScores_[0].item<float>() / std::pow(double(curLen_ - promptLen_), o_.lengthPenalty);
    const float worst = finishedScores_.min().item<float>();
    bool improvable = false;
    for (int64_t j = 0; j < K; ++j) improvable |= bestPossible > (isFinished_[size_t(j)] ? worst : kKnockOut);
    heuristicUnsatisfied_ = heuristicUnsatisfied_ && improvable;

    const bool allFinished = std::all_of(isFinished_.begin(), isFinished_.end(), [](bool b) { return b; });
    const bool allHit = hits.all().item<bool>();
    done_ = !heuristicUnsatisfied_ || (allFinished && o_.earlyStopping) || allHit || curLen_ >= maxLen;
  }

  const GenerationOptions& o_;
  int64_t promptLen_;
  int64_t curLen_ = 0;
  std::vector<std::vector<int64_t>> running_, finished_;
  std::vector<bool> isFinished_;
  torch::Tensor runningScores_, finishedScores_;
  std::vector<int64_t> reorder_;
  bool heuristicUnsatisfied_ = true;
  bool done_ = false;
};

void checkPrompt(const CausalLM& model, const std::vector<int64_t>& prompt) {
  check(!prompt.empty(), "generate: the prompt is empty (expected at least one token id)");
  for (int64_t id : prompt)
    check(id >= 0 && id < model.config().vocabSize,
          "generate: prompt token id " + std::to_string(id) + " is outside the vocabulary [0, " + std::to_string(model.config().vocabSize) + ")");
}

}  // namespace

std::vector<int64_t> eosTokenIds(const std::filesystem::path& modelDir, const ModelConfig& config) {
  const auto path = modelDir / "generation_config.json";
  if (!std::filesystem::exists(path)) return config.eosTokenIds;
  const auto j = readJsonFile(path);
  if (!j.contains("eos_token_id") || j["eos_token_id"].is_null()) return config.eosTokenIds;
  const auto& e = j["eos_token_id"];
  check(e.is_number_integer() || (e.is_array() && std::all_of(e.begin(), e.end(), [](const auto& v) { return v.is_number_integer(); })),
        path.string() + ": eos_token_id: expected an integer or a list of integers");
  return e.is_array() ? e.get<std::vector<int64_t>>() : std::vector<int64_t>{e.get<int64_t>()};
}

std::vector<std::vector<int64_t>> generateBatch(CausalLM& model, const std::vector<std::vector<int64_t>>& prompts,
                                                const GenerationOptions& o) {
  for (const auto& p : prompts) checkPrompt(model, p);
  check(o.maxNewTokens >= 0, "generate: max_new_tokens must be >= 0");
  check(o.numBeams >= 1, "generate: num_beams must be >= 1");
  check(std::isfinite(o.repetitionPenalty) && o.repetitionPenalty > 0, "generate: repetition_penalty must be a finite number > 0");
  check(std::isfinite(o.lengthPenalty), "generate: length_penalty must be a finite number");
  if (o.maxNewTokens == 0 || prompts.empty()) return prompts;

  torch::NoGradGuard noGrad;
  const bool wasTraining = model.is_training();
  model.eval();
  const auto device = model.parameters().front().device();
  const int64_t K = o.numBeams;

  // Prefill: every prompt repeated K times, left-padded to the longest; positions count real tokens.
  int64_t longest = 0;
  for (const auto& p : prompts) longest = std::max<int64_t>(longest, int64_t(p.size()));
  const int64_t rows = int64_t(prompts.size()) * K;
  auto ids = torch::zeros({rows, longest}, torch::kLong);
  auto mask = torch::zeros({rows, longest}, torch::kLong);
  for (size_t b = 0; b < prompts.size(); ++b)
    for (int64_t k = 0; k < K; ++k) {
      const int64_t r = int64_t(b) * K + k, pad = longest - int64_t(prompts[b].size());
      ids[r].slice(0, pad).copy_(torch::tensor(prompts[b], torch::kLong));
      mask[r].slice(0, pad).fill_(1);
    }
  KVCache cache = o.prefixCache ? o.prefixCache(rows) : KVCache{};
  const int64_t prefix = cache.length();
  // Learned positions bound prompt + new tokens (+ a prefix's virtual tokens, which take positions too).
  if (const int64_t positions = model.config().maxPositions; positions > 0)
    check(prefix + longest + o.maxNewTokens <= positions,
          "generate: the prompt (" + std::to_string(longest) + " tokens) + max_new_tokens (" + std::to_string(o.maxNewTokens) + ")" +
              (prefix > 0 ? " + the prefix's " + std::to_string(prefix) + " virtual tokens" : std::string()) + " exceeds the model's " +
              std::to_string(positions) + " learned positions; lower --max-new-tokens or shorten the prompt");
  mask = mask.to(device);
  if (prefix > 0) mask = torch::cat({torch::ones({rows, prefix}, mask.options()), mask}, 1);
  auto positions = (mask.cumsum(1) - 1).clamp_min(0).slice(1, prefix);
  auto logits = model.forward(ids.to(device), mask, &cache, positions).select(1, longest - 1).to(torch::kFloat32).cpu();

  std::vector<Search> searches;
  searches.reserve(prompts.size());
  for (const auto& p : prompts) searches.emplace_back(p, o);
  std::vector<size_t> active(prompts.size());  // prompts whose rows are in the batch, in row order
  for (size_t b = 0; b < prompts.size(); ++b) active[b] = b;
  while (true) {
    std::vector<size_t> stillActive;
    std::vector<int64_t> gather, next;
    for (size_t a = 0; a < active.size(); ++a) {
      Search& s = searches[active[a]];
      s.step(logits.slice(0, int64_t(a) * K, int64_t(a + 1) * K));
      if (s.done()) continue;
      stillActive.push_back(active[a]);
      for (int64_t src : s.reorder()) gather.push_back(int64_t(a) * K + src);
      for (int64_t t : s.lastTokens()) next.push_back(t);
    }
    if (stillActive.empty()) break;
    active = std::move(stillActive);
    auto index = torch::tensor(gather, torch::kLong).to(device);
    cache.select(index);
    mask = torch::cat({mask.index_select(0, index), torch::ones({int64_t(gather.size()), 1}, mask.options())}, 1);
    positions = mask.sum(1, true) - 1;
    auto step = torch::tensor(next, torch::kLong).view({-1, 1}).to(device);
    logits = model.forward(step, mask, &cache, positions).select(1, 0).to(torch::kFloat32).cpu();
  }
  if (wasTraining) model.train();
  std::vector<std::vector<int64_t>> out;
  for (const auto& s : searches) out.push_back(s.result());
  return out;
}

std::vector<int64_t> generate(CausalLM& model, const std::vector<int64_t>& prompt, const GenerationOptions& o) {
  return generateBatch(model, {prompt}, o).front();
}

}  // namespace gt
