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
  checkAttentionMemory(model.config(), int64_t(inputs.size()), longest, longest);                // the encoder, once per input
  checkAttentionMemory(model.config(), int64_t(inputs.size()) * K, o.maxNewTokens + 1, longest);  // each beam's cross-attention
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

  // From here on the decoder reads the encoder output from the cache: only the mask follows the beams.
  auto out = searchBatch(std::vector<std::vector<int64_t>>(inputs.size(), start), o, logits,
                         [&](const torch::Tensor& kept, const torch::Tensor& tokens) {
                           const auto index = kept.to(device);
                           cache.select(index);
                           encoderMask = encoderMask.index_select(0, index);
                           return model.decode(tokens.to(device), {}, encoderMask, &cache).select(1, 0).to(torch::kFloat32).cpu();
                         });
  if (wasTraining) model.train();
  return out;
}

std::vector<int64_t> generateSeq2Seq(Seq2SeqLM& model, const std::vector<int64_t>& input, const GenerationOptions& o) {
  return generateSeq2SeqBatch(model, {input}, o).front();
}

}  // namespace gt
