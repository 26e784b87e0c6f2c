// What a run needs to know of its device: its name, its peak arithmetic rate (for model FLOPs
// utilisation) and its peak memory — the CUDA caching allocator's high-water mark of allocated
// bytes (torch.cuda.max_memory_allocated) on a CUDA device, the process's peak resident set on the
// CPU; both can be reset so a phase's peak is its own.
#pragma once
#include <cstdint>
#include <string>

namespace gt {

// -1 when unknown (a CUDA device in a build without the CUDA allocator's statistics).
int64_t peakDeviceMemoryBytes(const std::string& device);
void resetPeakDeviceMemory(const std::string& device);

// "NVIDIA H100 80GB HBM3", the CPU's model name, or "" when unknown.
std::string deviceName(const std::string& device);
// Dense peak FLOP/s of a GPU by name (bf16/fp16 tensor cores for 16-bit compute, else fp32 without
// TF32), from the vendors' data sheets; 0 when the name is not in the table (CPUs included).
double peakFlopsPerSecond(const std::string& name, bool sixteenBit);

}  // namespace gt
