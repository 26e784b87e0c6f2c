// Activation (gradient) checkpointing of one decoder block: its forward keeps no activations, and
// the backward pass runs it again — with the forward's RNG state (LoRA dropout) and autocast state —
// then backpropagates through the recomputation (torch.utils.checkpoint's reentrant form). Memory
// falls from every block's activations to one block's; the recomputed forward is real FLOPs, which
// the FLOPs profile counts when asked (profileFlops(..., recompute)).
#pragma once
#include <torch/types.h>

#include <functional>

namespace gt {

using BlockFn = std::function<torch::Tensor(const torch::Tensor&)>;

// block(x) under checkpointing. `trainable`: whether any of the block's parameters requires grad;
// the result then joins the graph even when x does not (the deepest trained block's input).
torch::Tensor checkpointedBlock(BlockFn block, const torch::Tensor& x, bool trainable);

}  // namespace gt
