#include "core/util/device_memory.h"

#include "core/util/memory_usage.h"

// GT_WITH_CUDA is defined by core/CMakeLists.txt when LibTorch was built with CUDA (target c10_cuda).
#ifdef GT_WITH_CUDA
#include <c10/cuda/CUDACachingAllocator.h>
#endif

namespace gt {
namespace {

int cudaIndex(const std::string& device) { return device.rfind("cuda:", 0) == 0 ? std::stoi(device.substr(5)) : 0; }

}  // namespace

int64_t peakDeviceMemoryBytes(const std::string& device) {
  if (device == "cpu") return peakRssBytes();
#ifdef GT_WITH_CUDA
  const auto stats = c10::cuda::CUDACachingAllocator::getDeviceStats(static_cast<c10::DeviceIndex>(cudaIndex(device)));
  return int64_t(stats.allocated_bytes[0].peak);  // [0]: the aggregate over pool types
#else
  (void)cudaIndex;
  return -1;
#endif
}

void resetPeakDeviceMemory(const std::string& device) {
  if (device == "cpu") {
    resetPeakRss();
    return;
  }
#ifdef GT_WITH_CUDA
  c10::cuda::CUDACachingAllocator::resetPeakStats(static_cast<c10::DeviceIndex>(cudaIndex(device)));
#endif
}

}  // namespace gt
