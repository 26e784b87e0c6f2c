// CPU energy from Intel/AMD RAPL through Linux powercap (kernel Documentation/power/powercap):
// each zone <root>/intel-rapl:N named "package-N" counts one CPU package's energy in energy_uj
// (microjoules), starting again from 0 after max_energy_range_uj. Of the sub-zones
// (intel-rapl:N:M: core, uncore, dram) only "dram" lies outside its package's count, so the
// counters are the packages and their DRAM zones; "psys" (the whole platform) and the
// intel-rapl-mmio zones (the package counter again, through MMIO) are left out so nothing is
// counted twice.
#pragma once
#include <filesystem>
#include <string>
#include <vector>

#include "core/util/energy_counter.h"

namespace gt {

// The counters under `root` (normally /sys/class/powercap), sorted by zone. None when the folder
// has no RAPL zones or their energy_uj cannot be read; `whyNot` then says which and why.
std::vector<EnergyCounter> raplCounters(const std::filesystem::path& root, std::string& whyNot);

}  // namespace gt
