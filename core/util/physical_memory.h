// This machine's physical memory, for refusing an allocation that cannot fit before trying it.
#pragma once
#include <unistd.h>

namespace gt {

// Bytes of physical memory; 0 or less when the system does not say.
inline double physicalMemoryBytes() { return double(sysconf(_SC_PHYS_PAGES)) * double(sysconf(_SC_PAGE_SIZE)); }

}  // namespace gt
