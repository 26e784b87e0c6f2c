// Process memory from /proc/self/status: resident set size and its high-water mark, which
// Linux lets a process reset (clear_refs "5") so a phase's peak can be measured.
#pragma once
#include <cstdint>

namespace gt {

int64_t currentRssBytes();
int64_t peakRssBytes();
// Resets the high-water mark to the current RSS; returns false where the kernel refuses.
bool resetPeakRss();

}  // namespace gt
