#include "core/util/runtime_info.h"

#include <dlfcn.h>
#include <link.h>

#include <ATen/Parallel.h>
#include <torch/cuda.h>
#include <torch/version.h>

#include <filesystem>
#include <vector>

#include "core/log/log.h"
#include "core/util/blas_kernels.h"
#include "core/util/cpu_allocator.h"
#include "core/util/error.h"

namespace gt {
namespace {

std::vector<std::string> loadedLibraries() {
  std::vector<std::string> libs;
  dl_iterate_phdr(
      [](struct dl_phdr_info* info, size_t, void* data) {
        auto* out = static_cast<std::vector<std::string>*>(data);
        if (info->dlpi_name && info->dlpi_name[0]) out->emplace_back(info->dlpi_name);
        return 0;
      },
      &libs);
  return libs;
}

bool contains(const std::string& s, const char* needle) { return s.find(needle) != std::string::npos; }

}  // namespace

BlasInfo loadedBlas() {
  BlasInfo info{"unknown", "", "", false};
  for (const auto& lib : loadedLibraries()) {
    std::error_code ec;
    std::string real = std::filesystem::weakly_canonical(lib, ec).string();
    if (ec) real = lib;
    const std::string base = std::filesystem::path(lib).filename().string();
    if (contains(base, "mkl_rt") || contains(base, "libmkl")) {
      info = {"MKL", real, "", false};
      break;
    }
    if (contains(base, "libblas.so") || contains(base, "libopenblas") || contains(base, "libblis")) {
      if (contains(real, "openblas")) {
        info = {"OpenBLAS", real, "", false};
      } else if (contains(real, "blis")) {
        info = {"BLIS", real, "", false};
      } else if (contains(real, "/blas/") || contains(base, "libblas.so")) {
        info = {"reference BLAS (netlib)", real, "", true};
      }
      if (info.name == "OpenBLAS") break;  // prefer the optimised one when both are mapped
    }
  }
  using ConfigFn = char* (*)();
  if (auto fn = reinterpret_cast<ConfigFn>(dlsym(RTLD_DEFAULT, "openblas_get_config"))) {
    info.detail = fn();
  }
  using ParallelFn = int (*)();  // 0: sequential, 1: pthreads, 2: OpenMP
  if (auto fn = reinterpret_cast<ParallelFn>(dlsym(RTLD_DEFAULT, "openblas_get_parallel"))) info.ownThreadPool = fn() == 1;
  return info;
}

std::string blasThreadingWarning(const BlasInfo& blas, int threads) {
  if (!blas.ownThreadPool || threads < 2) return "";
  // Its workers spin between calls while LibTorch's run the elementwise work: on 2 cores a demo
  // step took 2.04 s with it and 1.15 s with the OpenMP build, which shares LibTorch's threads
  // (tests/bench/cpu_setup.sh threading).
  const std::filesystem::path libDir = std::filesystem::path(blas.path).parent_path().parent_path();  // /usr/lib/<multiarch>
  return "OpenBLAS's pthread build (" + blas.path + ") runs its own threads beside LibTorch's, which slows " +
         std::to_string(threads) + "-thread training (1.78x on 2 cores); install libopenblas0-openmp and select it: " +
         "update-alternatives --set libblas.so.3-" + libDir.filename().string() + " " +
         (libDir / "openblas-openmp" / "libblas.so.3").string() + " (packaging/install-deps.sh does both)";
}

int computeThreads() { return at::get_num_threads(); }

std::string runtimeSummary() {
  const BlasInfo blas = loadedBlas();
  std::string s = "LibTorch " + std::string(TORCH_VERSION) + "\n";
  s += "BLAS: " + blas.name + (blas.path.empty() ? "" : " (" + blas.path + ")") +
       (blas.detail.empty() ? "" : " [" + blas.detail + "]") + "\n";
  if (const std::string kernels = openBlasKernels(); !kernels.empty()) s += "BLAS kernels: " + kernels + "\n";
  s += "memory allocator: " + cpuAllocatorSummary() + "\n";
  if (blas.isReference) s += "WARNING: the reference BLAS is loaded; install libopenblas0-openmp\n";
  const int threads = computeThreads();
  if (const std::string w = blasThreadingWarning(blas, threads); !w.empty()) s += "WARNING: " + w + "\n";
  s += "threads: " + std::to_string(threads) + "\n";
  return s;
}

void setComputeThreads(int threads) {
  at::set_num_threads(threads);
  // OpenBLAS (pthread build) keeps its own pool, sized from OMP_NUM_THREADS or the core count.
  using SetThreads = void (*)(int);
  if (auto set = reinterpret_cast<SetThreads>(dlsym(RTLD_DEFAULT, "openblas_set_num_threads"))) set(threads);
  if (const std::string w = blasThreadingWarning(loadedBlas(), threads); !w.empty()) log::warn(w);
}

int cudaDeviceCount() { return int(torch::cuda::device_count()); }

void checkDeviceAndDtype(const std::string& device, const std::string& dtype) {
  check(device == "cpu" || device.rfind("cuda", 0) == 0, "device: expected cpu or cuda[:N], got '" + device + "'");
  int index = 0;
  if (device.rfind("cuda:", 0) == 0) {
    size_t used = 0;
    try {
      index = std::stoi(device.substr(5), &used);
    } catch (const std::exception&) {
      used = 0;
    }
    check(used > 0 && used == device.size() - 5 && index >= 0, "device: expected cpu or cuda[:N], got '" + device + "'");
  } else {
    check(device == "cpu" || device == "cuda", "device: expected cpu or cuda[:N], got '" + device + "'");
  }
  if (device != "cpu") {
    const int count = cudaDeviceCount();
    check(count > 0, "device " + device + ": CUDA is not available (this LibTorch build or machine has no CUDA device); use --device cpu");
    check(index < count, "device " + device + ": this machine has " + std::to_string(count) + " CUDA device(s), cuda:0 to cuda:" +
                             std::to_string(count - 1));
  }
  // LibTorch's CPU kernels lack float16 LayerNorm/softmax paths: refuse before loading.
  check(!(device == "cpu" && dtype == "float16"), "dtype float16 is not supported on the CPU (LibTorch has no float16 CPU kernels for "
                                                  "LayerNorm); use float32 or bfloat16, or a CUDA device");
}

}  // namespace gt
