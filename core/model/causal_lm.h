// CausalLM: the interface every decoder-only family implements (LanguageModel: parameters under
// their Hugging Face names).
#pragma once
#include <torch/nn/module.h>
#include <torch/types.h>

#include <functional>
#include <vector>

#include "core/model/attention.h"
#include "core/model/language_model.h"

namespace gt {

// Keys and values of past positions, per layer: [batch, kv_heads, past_len, head_dim].
struct KVCache {
  std::vector<torch::Tensor> keys;
  std::vector<torch::Tensor> values;

  int64_t length() const { return keys.empty() || !keys[0].defined() ? 0 : keys[0].size(2); }
  // Appends this step's k/v for `layer` and returns the full k/v.
  std::pair<torch::Tensor, torch::Tensor> append(size_t layer, const torch::Tensor& k, const torch::Tensor& v);
  // Reorders the batch dimension (beam search).
  void select(const torch::Tensor& batchIndex);
};

class CausalLM : public LanguageModel {
 public:
  using LanguageModel::LanguageModel;

  // input_ids [B, T] int64. attention_mask [B, past + T] (1 = token, 0 = padding) or undefined
  // (all ones). cache: past keys/values, extended in place. position_ids [B, T] or undefined
  // (the family's own rule, as Hugging Face's forward computes it). Returns logits [B, T, V].
  virtual torch::Tensor forward(const torch::Tensor& inputIds, const torch::Tensor& attentionMask = {},
                                KVCache* cache = nullptr, const torch::Tensor& positionIds = {}) = 0;

 protected:
  // One decoder block: fn(h), checkpointed when that is on, the module is training and no cache is used.
  torch::Tensor runBlock(const torch::nn::Module& block, const std::function<torch::Tensor(const torch::Tensor&)>& fn, const torch::Tensor& h,
                         const KVCache* cache) const;
};

// Hugging Face's causal-LM loss: logits[:, :-1] predict labels[:, 1:], -100 ignored, mean over
// the rest (computed in fp32).
torch::Tensor causalLmLoss(const torch::Tensor& logits, const torch::Tensor& labels);

// Additive attention mask [B, 1, T, past + T]: 0 where query t may attend key s (s <= past + t
// and attention_mask[b, s] == 1), the dtype's lowest value elsewhere — Hugging Face's eager mask.
torch::Tensor causalAttentionBias(const torch::Tensor& attentionMask, int64_t queryLen, int64_t pastLen,
                                  torch::ScalarType dtype);

// The attention bias of a decoder forward: causalAttentionBias(mask, ...), marked causal-only when the
// caller gave no attention_mask and there is no cache (every key is a real token; see attention.h).
AttentionBias decoderAttentionBias(const torch::Tensor& givenMask, const torch::Tensor& mask, int64_t queryLen,
                                   int64_t pastLen, torch::ScalarType dtype);

// position_ids if given, else past .. past + T - 1 for every row ([1, T]; Llama and GPT-2).
torch::Tensor positionsOrDefault(const torch::Tensor& positionIds, const torch::Tensor& inputIds, int64_t pastLen);

// attention_mask, or all ones [B, past + T] when undefined.
torch::Tensor fullAttentionMask(const torch::Tensor& attentionMask, const torch::Tensor& inputIds, int64_t pastLen);

}  // namespace gt
