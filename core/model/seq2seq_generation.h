// Generation with an encoder-decoder (Seq2SeqLM), as transformers' generate() does it for
// T5: each input is encoded once; the decoder starts from decoder_start_token_id and is searched
// exactly as a decoder-only prompt is (core/model/beam_search.h), with its self-attention KV
// cache and the encoder's cross-attention keys/values kept between steps.
#pragma once
#include <cstdint>
#include <vector>

#include "core/model/generation.h"
#include "core/model/seq2seq_lm.h"

namespace gt {

// Returns the decoder's tokens for `input`: the start token followed by the new tokens (ending
// with EOS when one was produced) — what transformers' generate returns. Throws gt::Error for an
// empty input, a token id outside the vocabulary, bad options, or options that need a decoder-only
// model (a learned prefix).
std::vector<int64_t> generateSeq2Seq(Seq2SeqLM& model, const std::vector<int64_t>& input, const GenerationOptions& options);

// Several inputs at once: right-padded into one encoder batch, each searched exactly as
// generateSeq2Seq would; an input leaves the batch when its search ends. Same order as `inputs`.
std::vector<std::vector<int64_t>> generateSeq2SeqBatch(Seq2SeqLM& model, const std::vector<std::vector<int64_t>>& inputs,
                                                       const GenerationOptions& options);

}  // namespace gt
