// The training loss of a batch, for either kind of model: decoder-only (causalLmLoss: logits at
// position t predict the label at t + 1) or encoder-decoder (the encoder reads the batch's ids,
// the decoder its labels shifted right; seq2seqLmLoss). Shared by the trainer and the importance
// pass (core/green/importance.cpp), so both take the same loss.
#pragma once
#include <torch/types.h>

#include "core/model/language_model.h"
#include "core/train/batch.h"

namespace gt {

// Throws gt::Error when the batch's kind does not match the model's.
torch::Tensor batchLoss(LanguageModel& model, const Batch& batch);

// The number of label tokens the loss averages over.
int64_t lossTokens(const Batch& batch);

}  // namespace gt
