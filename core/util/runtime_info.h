// What the process actually runs on: the BLAS library the dynamic loader picked for LibTorch,
// and the intra-op thread count. The reference BLAS is ~30x slower than OpenBLAS.
#pragma once
#include <string>

namespace gt {

struct BlasInfo {
  std::string name;    // "OpenBLAS", "reference BLAS (netlib)", "MKL", "BLIS", "unknown"
  std::string path;    // resolved path of the loaded library
  std::string detail;  // e.g. OpenBLAS's config string
  bool isReference = false;
  bool ownThreadPool = false;  // OpenBLAS's pthread build: its threads run beside LibTorch's OpenMP ones
};

// The warning for a BLAS with a thread pool of its own when more than one thread computes, "" otherwise.
std::string blasThreadingWarning(const BlasInfo& blas, int threads);

BlasInfo loadedBlas();
int computeThreads();
void setComputeThreads(int threads);  // LibTorch's intra-op threads and OpenBLAS's pool (process-wide)
// CUDA devices LibTorch can use (0 on the Debian CPU build).
int cudaDeviceCount();
// Throws gt::Error when `device` (cpu, cuda, cuda:N) is malformed or absent here, or `dtype`
// cannot run on it (float16 on the CPU).
void checkDeviceAndDtype(const std::string& device, const std::string& dtype);
// One line per fact, for --version and inspect.
std::string runtimeSummary();

}  // namespace gt
