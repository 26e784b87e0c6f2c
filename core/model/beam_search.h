// The search over next tokens for one prompt, with transformers' semantics: greedy (num_beams 1)
// or beam search (length_penalty, early_stopping, repetition_penalty, EOS, max_new_tokens). It
// sees only logits: decoder-only generation (generation.h) and encoder-decoder generation
// (seq2seq_generation.h) feed it and carry out its reordering of their KV caches.
#pragma once
#include <torch/types.h>

#include <cstdint>
#include <functional>
#include <vector>

#include "core/model/generation.h"

namespace gt {

class SequenceSearch {
 public:
  // prompt: the tokens the sequence starts with (a decoder-only prompt; an encoder-decoder's
  // decoder start token). The options must outlive the search.
  SequenceSearch(std::vector<int64_t> prompt, const GenerationOptions& options);

  // Takes the next-token logits [numBeams, V] of this prompt's rows, in the order of the running beams.
  void step(const torch::Tensor& logits);
  bool done() const { return done_; }
  // The best sequence: prompt + new tokens (ending with EOS when one was produced).
  const std::vector<int64_t>& result() const;
  // For each continuing beam: the row (0 .. numBeams-1) of the previous step it extends...
  const std::vector<int64_t>& reorder() const { return reorder_; }
  // ... and the token it appended.
  std::vector<int64_t> lastTokens() const;

 private:
  void greedyStep(const torch::Tensor& logits);
  void beamStep(const torch::Tensor& logits);

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

// Searches several sequences at once in one batch of numBeams rows each. `logits`: the first
// next-token logits [starts.size() * numBeams, V]. `step(rows, tokens)` reorders the caller's
// per-row state (KV caches, masks) to `rows` (indices into the previous batch, int64 on the CPU)
// and returns the next-token logits for `tokens` [rows, 1] (CPU). A sequence leaves the batch when
// its search ends. Returns each one's result, in the order of `starts`.
using SearchStep = std::function<torch::Tensor(const torch::Tensor& rows, const torch::Tensor& tokens)>;
std::vector<std::vector<int64_t>> searchBatch(const std::vector<std::vector<int64_t>>& starts, const GenerationOptions& options,
                                              torch::Tensor logits, const SearchStep& step);

}  // namespace gt
