// How glibc's malloc treats the large blocks a training step allocates and frees. By default glibc
// serves every block above its mmap threshold (at most 32 MiB) with a fresh mmap and returns it with
// munmap when freed, so the logits, attention scores and activations of each step are page-faulted
// and zeroed by the kernel again: a sixth of a CPU training step went to page faults and page
// clearing in `perf` (the deep-thin model, batch 64 x 256). keepFreedMemoryForReuse() raises the
// mmap and trim thresholds to 1 GiB and keeps one malloc arena, so freed blocks stay in the heap and
// the next step reuses them (tests/bench/cpu_setup.sh allocator: 1.17x on a demo step, 1.63x at the deep-thin shape and batch 64).
#pragma once
#include <string>

namespace gt {

// Call first thing in main(), before threads start. Does nothing when the user configured glibc's
// malloc (any MALLOC_*_ variable or a glibc.malloc tunable in GLIBC_TUNABLES), or without glibc.
void keepFreedMemoryForReuse();

// One line for --version and inspect: "glibc malloc, freed blocks up to 1 GiB kept for reuse",
// "glibc malloc defaults (MALLOC_ARENA_MAX is set)", or "not glibc's malloc".
std::string cpuAllocatorSummary();

// The variable that makes keepFreedMemoryForReuse() leave malloc alone, "" if none; `environ`-style
// list (NAME=VALUE strings, null-terminated).
std::string userMallocSetting(const char* const* environment);

// Gives the memory that freed blocks keep back to the system (glibc's malloc_trim); the studio calls
// it when a run ends.
void releaseFreedMemory();

}  // namespace gt
