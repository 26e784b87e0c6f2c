// Peak memory of the device a run trains on: the CUDA caching allocator's high-water mark of
// allocated bytes (torch.cuda.max_memory_allocated) on a CUDA device, the process's peak resident
// set on the CPU. Both can be reset so a phase's peak is its own.
#pragma once
#include <cstdint>
#include <string>

namespace gt {

// -1 when unknown (a CUDA device in a build without the CUDA allocator's statistics).
int64_t peakDeviceMemoryBytes(const std::string& device);
void resetPeakDeviceMemory(const std::string& device);

}  // namespace gt
