// Seq2SeqLM: the interface of encoder-decoder families (T5 / FLAN-T5, core/model/t5.h), Hugging
// Face's *ForConditionalGeneration: the encoder reads the whole input, the decoder predicts the
// target one token at a time, attending to its own past (causally) and to the encoder's output.
#pragma once
#include <torch/types.h>

#include "core/model/causal_lm.h"
#include "core/model/language_model.h"

namespace gt {

// Decoding state: the decoder's self-attention keys/values of past positions, and the
// cross-attention keys/values of the encoder output (computed once, at the first decode call).
struct Seq2SeqCache {
  KVCache self;
  KVCache cross;
  int64_t length() const { return self.length(); }
  // Reorders the batch dimension of both (beam search).
  void select(const torch::Tensor& batchIndex);
};

class Seq2SeqLM : public LanguageModel {
 public:
  using LanguageModel::LanguageModel;

  // input_ids [B, S] int64, attention_mask [B, S] (1 = token, 0 = padding) or undefined (all
  // ones). Returns the encoder's last hidden states [B, S, D].
  virtual torch::Tensor encode(const torch::Tensor& inputIds, const torch::Tensor& attentionMask = {}) = 0;

  // decoder_input_ids [B, T] (the positions after those in `cache`), the encoder's output and the
  // attention_mask given to encode(). Returns logits [B, T, V]. Once `cache` holds the
  // cross-attention keys/values the encoder's output is not read: it may be undefined if the
  // mask is given (generation then need not reorder it with the beams).
  virtual torch::Tensor decode(const torch::Tensor& decoderInputIds, const torch::Tensor& encoderHidden,
                               const torch::Tensor& encoderMask = {}, Seq2SeqCache* cache = nullptr) = 0;

  torch::Tensor forward(const torch::Tensor& inputIds, const torch::Tensor& attentionMask, const torch::Tensor& decoderInputIds) {
    return decode(decoderInputIds, encode(inputIds, attentionMask), attentionMask);
  }
};

// The decoder's input for teacher forcing, as transformers' shift_tokens_right: labels [B, T]
// moved one position right, decoder_start_token_id first, -100 replaced by pad_token_id.
torch::Tensor shiftTokensRight(const torch::Tensor& labels, int64_t decoderStartTokenId, int64_t padTokenId);

// Hugging Face's sequence-to-sequence loss: logits [B, T, V] predict labels [B, T] at the same
// positions (no shift: the decoder input is already shifted), -100 ignored, mean over the rest (fp32).
torch::Tensor seq2seqLmLoss(const torch::Tensor& logits, const torch::Tensor& labels);

}  // namespace gt
