#include "core/train/mixed_precision.h"

#include <ATen/autocast_mode.h>
#include <ATen/ops/_amp_foreach_non_finite_check_and_unscale.h>
#include <torch/cuda.h>
#include <torch/version.h>

#include <algorithm>

#include "core/model/autocast_state.h"
#include "core/util/error.h"

// LibTorch 2.4 added float16 to CPU autocast (and switches by device type, see autocast_state.h).
#if TORCH_VERSION_MAJOR > 2 || (TORCH_VERSION_MAJOR == 2 && TORCH_VERSION_MINOR >= 4)
#define GT_CPU_AUTOCAST_FP16 1
#endif

namespace gt {
namespace {

// Whether the CUDA device runs bfloat16 matmuls (compute capability 8.0 and later do; older
// ones fail in cuBLAS), probed once per process.
bool cudaRunsBf16(const torch::Device& device) {
  static int cached = -1;
  if (cached < 0) {
    try {
      auto a = torch::ones({16, 16}, torch::TensorOptions().dtype(torch::kBFloat16).device(device));
      cached = a.matmul(a).sum().item<float>() == 16.0f * 256 ? 1 : 0;
    } catch (const std::exception&) {
      cached = 0;
    }
  }
  return cached == 1;
}

}  // namespace

void checkPrecisionName(const std::string& precision, const std::string& dtype) {
  check(precision == "auto" || precision == "fp32" || precision == "bf16-mixed" || precision == "fp16-mixed" || precision == "bf16-true" ||
            precision == "fp16-true",
        "precision (--precision): expected auto, fp32, bf16-mixed, fp16-mixed, bf16-true or fp16-true, got '" + precision + "'");
  // --dtype names the weights' dtype: only the -true precisions keep weights in 16 bits.
  const std::string implied = weightsDtype(precision);
  check(precision == "auto" || dtype == implied || dtype == "float32",  // float32: the default, i.e. not given
        "precision " + precision + " keeps the weights in " + implied + ", but dtype (--dtype) is " + dtype + "; leave --dtype out");
}

std::string resolvePrecision(const std::string& precision, const std::string& dtype, const std::string& device) {
  checkPrecisionName(precision, dtype);
  const bool cuda = device != "cpu";
  std::string p = precision;
  if (p == "auto") {
    if (dtype == "bfloat16") p = "bf16-true";
    else if (dtype == "float16") p = "fp16-true";
    else p = cuda && cudaRunsBf16(torch::Device(device)) ? "bf16-mixed" : "fp32";
  }
#ifndef GT_CPU_AUTOCAST_FP16
  check(!(p == "fp16-mixed" && !cuda), "precision fp16-mixed needs a CUDA device here: CPU autocast in LibTorch " TORCH_VERSION
                                       " runs bfloat16 only (use bf16-mixed)");
#endif
  check(!(p == "fp16-true" && !cuda), "precision fp16-true: LibTorch has no float16 kernels for matmuls and LayerNorm on the CPU; use fp32, "
                                     "bf16-mixed or bf16-true, or a CUDA device");
  check(!(p == "bf16-mixed" && cuda && !cudaRunsBf16(torch::Device(device))),
        "precision bf16-mixed: device " + device + " does not run bfloat16 matmuls (use fp16-mixed or fp32)");
  return p;
}

std::string resolvePrecision(const RunConfig& c) { return resolvePrecision(c.precision, c.dtype, c.device); }

std::string weightsDtype(const std::string& precision) {
  return precision == "bf16-true" ? "bfloat16" : precision == "fp16-true" ? "float16" : "float32";
}

bool isMixedPrecision(const std::string& precision) { return precision == "bf16-mixed" || precision == "fp16-mixed"; }

AutocastGuard::AutocastGuard(const std::string& precision, const torch::Device& device, bool weightsChangeInside) {
  if (!isMixedPrecision(precision)) return;
  active_ = true;
  cuda_ = device.is_cuda();
  previous_ = autocastState(cuda_);
  wasCaching_ = at::autocast::is_autocast_cache_enabled();
  if (weightsChangeInside) at::autocast::set_autocast_cache_enabled(false);
  setAutocastState(cuda_, {true, precision == "bf16-mixed" ? torch::kBFloat16 : torch::kFloat16});
  at::autocast::increment_nesting();
}

AutocastGuard::~AutocastGuard() {
  if (!active_) return;
  // The cache holds the 16-bit copies of weights made in this region; they go stale once the
  // optimizer steps, so the outermost region drops them (as torch.autocast's __exit__ does).
  if (at::autocast::decrement_nesting() == 0) at::autocast::clear_cache();
  setAutocastState(cuda_, previous_);
  at::autocast::set_autocast_cache_enabled(wasCaching_);
}

bool LossScaler::unscale(const std::vector<std::pair<std::string, torch::Tensor>>& params) const {
  if (!enabled_) return true;
  torch::NoGradGuard noGrad;
  std::vector<torch::Tensor> grads;
  for (const auto& [name, p] : params)
    if (p.grad().defined()) grads.push_back(p.mutable_grad());
  if (grads.empty()) return true;
  const bool oneDtype = std::all_of(grads.begin(), grads.end(), [&](const auto& g) { return g.scalar_type() == grads.front().scalar_type(); });
  if (grads.front().is_cuda() && oneDtype) {
    // torch.amp.GradScaler's kernel: one multi-tensor pass that unscales in place and flags any
    // inf/NaN (CUDA only in LibTorch 1.13; one dtype per call, as GradScaler groups them). The
    // per-tensor form below reads every gradient three times: on the OPT-1.3B shape an fp16-mixed
    // step took 92 ms against bf16-mixed's 62.
    auto foundInf = torch::zeros({1}, grads.front().options().dtype(torch::kFloat32));
    const auto invScale = torch::full({1}, 1.0 / scale_, foundInf.options());
    at::_amp_foreach_non_finite_check_and_unscale_(grads, foundInf, invScale);
    return foundInf.item<float>() == 0.0f;
  }
  std::vector<torch::Tensor> finite;  // one flag per gradient, read back once (one device sync, not one per tensor)
  for (auto& g : grads) {
    g.mul_(1.0 / scale_);
    finite.push_back(torch::isfinite(g).all());
  }
  return torch::stack(finite).all().item<bool>();
}

void LossScaler::update(bool finite) {
  if (!enabled_) return;
  if (!finite) {
    scale_ *= 0.5;
    goodSteps_ = 0;
  } else if (++goodSteps_ >= growthInterval_) {
    scale_ *= 2.0;
    goodSteps_ = 0;
  }
}

bool scaledOptimizerStep(AdamW& optimizer, LossScaler& scaler) {
  const bool finite = scaler.unscale(optimizer.params());
  if (finite) optimizer.step();
  scaler.update(finite);
  return finite;
}

}  // namespace gt
