// What a Hugging Face tensor name says about where the tensor sits in the model.
#pragma once
#include <cstdint>
#include <string>

namespace gt {

// The decoder layer a tensor belongs to: N in ".layers.N." (Llama, OPT) or ".h.N." (GPT-2, BLOOM),
// the leftmost such part of the name; -1 for tensors outside the layers (embeddings, final norm, head).
int64_t decoderLayerOf(const std::string& tensorName);

// An encoder-decoder's block (T5): stack "encoder" or "decoder" and N from "encoder.block.N." /
// "decoder.block.N."; an empty stack and -1 for other names.
struct StackBlock {
  std::string stack;
  int64_t index = -1;
};
StackBlock encoderDecoderBlockOf(const std::string& tensorName);

}  // namespace gt
