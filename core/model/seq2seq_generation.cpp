#include "core/model/seq2seq_generation.h"

#include <algorithm>

#include "core/model/beam_search.h"
#include "core/util/error.h"

namespace gt {

std::vector<std::vector<int64_t>> generateSeq2SeqBatch(Seq2SeqLM& model, const std::vector<std::vector<int64_t>>& inputs,
                                                       const GenerationOptions& o) {
  for (const auto& input : inputs) checkGenerationInput(model.config(), input);
  checkGenerationOptions(o);
  check(!o.prefixCache, "generate: prefix tuning applies to decoder-only models, not to encoder-decoders");
  const std::vector<int64_t> start = {model.config().decoderStartTokenId};
  if (o.maxNewTokens == 0 || inputs.empty()) return std::vector<std::vector<int64_t>>(inputs.size(), start);

  torch::NoGradGuard noGrad;
  const bool wasTraining = model.is_training();
  model.eval();
  const auto device = model.parameters().front().device();
  const int64_t K = o.numBeams;

  // Encode every input once (right-padded), then give each of its K beams a copy of the result.
  int64_t longest = 0;
  for (const auto& input : inputs) longest = std::max<int64_t>(longest, int64_t(input.size()));
  const int64_t B = int64_t(inputs.size());
  const int64_t pad = std::max<int64_t>(model.config().padTokenId, 0);
  auto ids = torch::full({B, longest}, pad, torch::kLong);
  auto encoderMask = torch::zeros({B, longest}, torch::kLong);
  for (int64_t b = 0; b < B; ++b) {
    const int64_t n = int64_t(inputs[size_t(b)].size());
    ids[b].slice(0, 0, n).copy_(torch::tensor(inputs[size_t(b)], torch::kLong));
    encoderMask[b].slice(0, 0, n).fill_(1);
  }
  encoderMask = encoderMask.to(device);
  auto encoded = model.encode(ids.to(device), encoderMask);
  auto beams = torch::arange(B, torch::TensorOptions().dtype(torch::kLong).device(device)).repeat_interleave(K);
  encoded = encoded.index_select(0, beams);
  encoderMask = encoderMask.index_select(0, beams);

  Seq2SeqCache cache;
  auto next = torch::full({B * K, 1}, start[0], torch::TensorOptions().dtype(torch::kLong).device(device));
  auto logits = model.decode(next, encoded, encoderMask, &cache).select(1, 0).to(torch::kFloat32).cpu();

  std::vector<SequenceSearch> searches;
  searches.reserve(inputs.size());
  for (size_t b = 0; b < inputs.size(); ++b) searches.emplace_back(start, o);
  std::vector<size_t> active(inputs.size());  // inputs whose rows are in the batch, in row order
  for (size_t b = 0; b < inputs.size(); ++b) active[b] = b;
  while (true) {
    std::vector<size_t> stillActive;
    std::vector<int64_t> gather, tokens;
    for (size_t a = 0; a < active.size(); ++a) {
      SequenceSearch& s = searches[active[a]];
      s.step(logits.slice(0, int64_t(a) * K, int64_t(a + 1) * K));
      if (s.done()) continue;
      stillActive.push_back(active[a]);
      for (int64_t src : s.reorder()) gather.push_back(int64_t(a) * K + src);
      for (int64_t t : s.lastTokens()) tokens.push_back(t);
    }
    if (stillActive.empty()) break;
    active = std::move(stillActive);
    auto index = torch::tensor(gather, torch::kLong).to(device);
    cache.select(index);
    encoded = encoded.index_select(0, index);
    encoderMask = encoderMask.index_select(0, index);
    next = torch::tensor(tokens, torch::kLong).view({-1, 1}).to(device);
    logits = model.decode(next, encoded, encoderMask, &cache).select(1, 0).to(torch::kFloat32).cpu();
  }
  if (wasTraining) model.train();
  std::vector<std::vector<int64_t>> out;
  for (const auto& s : searches) out.push_back(s.result());
  return out;
}

std::vector<int64_t> generateSeq2Seq(Seq2SeqLM& model, const std::vector<int64_t>& input, const GenerationOptions& o) {
  return generateSeq2SeqBatch(model, {input}, o).front();
}

}  // namespace gt
