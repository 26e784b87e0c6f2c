// T5 v1.0 / v1.1 and FLAN-T5 (T5ForConditionalGeneration): an encoder and a decoder of pre-RMSNorm
// blocks, relative position buckets (a learned bias per head and bucket, in each stack's first
// block, shared by its other blocks), attention without 1/sqrt(d) scaling, a ReLU or gated-GELU
// FFN, no biases; the shared token embedding feeds both stacks and, when tied, the head.
#pragma once
#include <memory>

#include "core/model/seq2seq_lm.h"

namespace gt {

std::shared_ptr<Seq2SeqLM> createT5(const ModelConfig& config);

// T5's relative position bucket (transformers' _relative_position_bucket): offsets key - query
// below num_buckets/2 (bidirectional: /4 each way) get their own bucket, longer ones share
// log-spaced buckets up to max_distance. Exposed for tests.
torch::Tensor relativePositionBucket(const torch::Tensor& relativePosition, bool bidirectional, int64_t numBuckets,
                                     int64_t maxDistance);

}  // namespace gt
