#include "core/model/model_factory.h"

#include "core/model/bloom.h"
#include "core/model/gpt2.h"
#include "core/model/llama.h"
#include "core/model/opt.h"
#include "core/model/t5.h"
#include "core/util/error.h"
#include "core/util/physical_memory.h"

#include <cstdio>

namespace gt {

namespace {

// Parameters the config asks for (embeddings, blocks, head), to refuse sizes that cannot be
// allocated before trying. Doubles: a malformed config must not overflow the estimate.
double estimatedParameters(const ModelConfig& c) {
  const double h = double(c.hiddenSize), attn = double(c.numHeads + 2 * c.numKvHeads) * double(c.headDim) * h + double(c.numHeads * c.headDim) * h;
  const double mlp = (c.modelType == "llama" || c.modelType == "qwen2" || c.gatedFeedForward ? 3.0 : 2.0) * h * double(c.ffnDim);
  // A T5 decoder block adds cross-attention (as large as self-attention) to the encoder's.
  const double blocks = double(c.numLayers) * (attn + mlp) + double(c.numDecoderLayers) * (2 * attn + mlp);
  return double(c.vocabSize) * h * (c.tieWordEmbeddings ? 1 : 2) + double(c.maxPositions) * h + blocks;
}

void checkMemory(const ModelConfig& config) {
  const double bytes = 4 * estimatedParameters(config);
  const double memory = physicalMemoryBytes();
  if (memory > 0 && bytes > memory) {
    // Every size that multiplies into the count, so whichever one is corrupt is named.
    char buf[384];
    std::snprintf(buf, sizeof buf,
                  "the model would need about %.1f GB of memory in float32 (vocab_size %lld, hidden size %lld, %lld layers, "
                  "%lld attention heads of %lld, feed-forward size %lld); this machine has %.1f GB",
                  bytes / 1e9, (long long)config.vocabSize, (long long)config.hiddenSize, (long long)(config.numLayers + config.numDecoderLayers),
                  (long long)config.numHeads, (long long)config.headDim, (long long)config.ffnDim, memory / 1e9);
    throw Error(buf);
  }
}

}  // namespace

std::shared_ptr<CausalLM> createModel(const ModelConfig& config) {
  if (config.isEncoderDecoder())
    throw Error("model_type '" + config.modelType + "' is an encoder-decoder model; this command supports decoder-only models (opt, bloom, gpt2, "
                "llama, qwen2). Encoder-decoders run with train (methods full, gt, top2, lora), eval, generate, profile and inspect");
  checkMemory(config);
  if (config.modelType == "opt") return createOpt(config);
  if (config.modelType == "bloom") return createBloom(config);
  if (config.modelType == "gpt2") return createGpt2(config);
  if (config.modelType == "llama" || config.modelType == "qwen2") return createLlama(config);
  throw Error("unsupported model_type '" + config.modelType + "' (expected one of opt, bloom, gpt2, llama, qwen2, t5)");
}

std::shared_ptr<Seq2SeqLM> createSeq2SeqModel(const ModelConfig& config) {
  check(config.isEncoderDecoder(), "model_type '" + config.modelType + "' is a decoder-only model, not an encoder-decoder (expected t5)");
  checkMemory(config);
  return createT5(config);
}

}  // namespace gt
