#include "core/train/batch_loss.h"

#include "core/model/causal_lm.h"
#include "core/model/seq2seq_lm.h"
#include "core/util/error.h"

namespace gt {

torch::Tensor batchLoss(LanguageModel& model, const Batch& batch) {
  if (auto* seq2seq = dynamic_cast<Seq2SeqLM*>(&model)) {
    check(batch.encoderDecoder, "loss: an encoder-decoder model needs encoder-decoder batches (decoder labels)");
    const auto& c = seq2seq->config();
    const auto decoderInput = shiftTokensRight(batch.labels, c.decoderStartTokenId, std::max<int64_t>(c.padTokenId, 0));
    return seq2seqLmLoss(seq2seq->forward(batch.inputIds, batch.lossMask(), decoderInput), batch.labels);
  }
  check(!batch.encoderDecoder, "loss: a decoder-only model needs decoder-only batches");
  return causalLmLoss(static_cast<CausalLM&>(model).forward(batch.inputIds, batch.lossMask()), batch.labels);
}

int64_t lossTokens(const Batch& batch) {
  const auto counted = batch.encoderDecoder ? batch.labels : batch.labels.slice(1, 1);
  return (counted != -100).sum().item<int64_t>();
}

}  // namespace gt
