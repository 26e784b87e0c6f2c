#include "core/model/activation_checkpoint.h"

#include <ATen/autocast_mode.h>
#include <torch/csrc/autograd/autograd.h>
#include <torch/csrc/autograd/custom_function.h>
#include <ATen/core/ivalue.h>

#include "core/model/autocast_state.h"

namespace gt {
namespace {

// What the recomputation needs, kept alive by the autograd graph until the backward pass.
struct Recompute : torch::CustomClassHolder {
  BlockFn block;
  at::Generator cpuGenerator;
  torch::Tensor cpuRng;
  c10::optional<at::Generator> cudaGenerator;
  torch::Tensor cudaRng;
  AutocastState cpuAutocast, cudaAutocast;
};

struct CheckpointFunction : public torch::autograd::Function<CheckpointFunction> {
  // anchor: a scalar that requires grad, so the output joins the graph when only the block's
  // parameters (not x) need gradients.
  static torch::Tensor forward(torch::autograd::AutogradContext* ctx, const torch::Tensor& x, const torch::Tensor& anchor,
                               c10::intrusive_ptr<Recompute> recompute) {
    (void)anchor;
    ctx->saved_data["recompute"] = c10::IValue::make_capsule(recompute);
    ctx->saved_data["x_requires_grad"] = x.requires_grad();
    ctx->save_for_backward({x});
    return recompute->block(x);  // autograd's Function runs this without recording a graph
  }

  static torch::autograd::variable_list backward(torch::autograd::AutogradContext* ctx, torch::autograd::variable_list grads) {
    auto r = c10::static_intrusive_pointer_cast<Recompute>(ctx->saved_data["recompute"].toCapsule());
    const bool xNeedsGrad = ctx->saved_data["x_requires_grad"].toBool();
    auto input = ctx->get_saved_variables()[0].detach().requires_grad_(xNeedsGrad);
    // Replay the forward's random state and autocast state, and put the present ones back after.
    const auto cpuNow = r->cpuGenerator.get_state();
    const auto cudaNow = r->cudaGenerator ? r->cudaGenerator->get_state() : torch::Tensor();
    const AutocastState cpuAutocastNow = autocastState(false), cudaAutocastNow = autocastState(true);
    r->cpuGenerator.set_state(r->cpuRng);
    if (r->cudaGenerator) r->cudaGenerator->set_state(r->cudaRng);
    setAutocastState(false, r->cpuAutocast);
    setAutocastState(true, r->cudaAutocast);
    torch::Tensor output;
    {
      torch::AutoGradMode enable(true);
      at::autocast::increment_nesting();
      output = r->block(input);
      if (at::autocast::decrement_nesting() == 0) at::autocast::clear_cache();
    }
    setAutocastState(false, cpuAutocastNow);
    setAutocastState(true, cudaAutocastNow);
    r->cpuGenerator.set_state(cpuNow);
    if (r->cudaGenerator) r->cudaGenerator->set_state(cudaNow);
    // Parameters receive their gradients here; x's comes back through the return value.
    if (output.requires_grad()) torch::autograd::backward({output}, {grads[0]});
    return {xNeedsGrad ? input.grad() : torch::Tensor(), torch::Tensor(), torch::Tensor()};
  }
};

}  // namespace

torch::Tensor checkpointedBlock(BlockFn block, const torch::Tensor& x, bool trainable) {
  if (!torch::GradMode::is_enabled() || (!trainable && !x.requires_grad())) return block(x);  // no backward will reach it
  auto r = c10::make_intrusive<Recompute>();
  r->block = std::move(block);
  r->cpuGenerator = at::globalContext().defaultGenerator(torch::kCPU);
  r->cpuRng = r->cpuGenerator.get_state();
  if (x.is_cuda()) {
    r->cudaGenerator = at::globalContext().defaultGenerator(x.device());
    r->cudaRng = r->cudaGenerator->get_state();
  }
  r->cpuAutocast = autocastState(false);
  r->cudaAutocast = autocastState(true);
  const auto anchor = torch::ones({}, torch::TensorOptions().device(x.device()).requires_grad(true));
  return CheckpointFunction::apply(x, anchor, r);
}

}  // namespace gt
