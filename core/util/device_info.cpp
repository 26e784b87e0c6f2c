#include "core/util/device_info.h"

#include <fstream>

#include "core/util/memory_usage.h"

// GT_WITH_CUDA is defined by core/CMakeLists.txt when LibTorch was built with CUDA (target c10_cuda).
#ifdef GT_WITH_CUDA
#include <c10/cuda/CUDACachingAllocator.h>
#include <cuda_runtime_api.h>
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

std::string deviceName(const std::string& device) {
  if (device == "cpu") {
    std::ifstream in("/proc/cpuinfo");
    std::string line;
    while (std::getline(in, line))
      if (line.rfind("model name", 0) == 0 && line.find(':') != std::string::npos) return line.substr(line.find(':') + 2);
    return "";
  }
#ifdef GT_WITH_CUDA
  cudaDeviceProp prop{};
  if (cudaGetDeviceProperties(&prop, cudaIndex(device)) == cudaSuccess) return prop.name;
#endif
  return "";
}

double peakFlopsPerSecond(const std::string& name, bool sixteenBit) {
  struct Peak {
    const char* match;  // a substring of the device name; the first match wins
    double sixteen, fp32;
  };
  static const Peak table[] = {
      {"H100 PCIe", 756e12, 51e12}, {"H100", 989.4e12, 66.9e12}, {"H200", 989.4e12, 66.9e12}, {"H800", 989.4e12, 66.9e12},
      {"B200", 2250e12, 80e12},    {"A100", 312e12, 19.5e12},  {"A800", 312e12, 19.5e12},
      {"L40S", 362e12, 91.6e12},    {"L4", 121e12, 30.3e12},     {"A10", 125e12, 31.2e12},   {"V100", 125e12, 15.7e12},
      {"T4", 65e12, 8.1e12},        {"RTX 4090", 165e12, 82.6e12}, {"RTX 3090", 71e12, 35.6e12}};
  for (const auto& p : table)
    if (name.find(p.match) != std::string::npos) return sixteenBit ? p.sixteen : p.fp32;
  return 0;
}

}  // namespace gt
