// GPU energy from NVIDIA's management library, loaded at run time (libnvidia-ml.so.1 comes with
// the driver; nothing links against it, so the CPU build needs no CUDA):
// nvmlDeviceGetTotalEnergyConsumption reports the millijoules a GPU has used since the driver was
// loaded (Volta and later). The GPU is named by its PCI bus id, because NVML numbers GPUs
// without regard to CUDA_VISIBLE_DEVICES.
#pragma once
#include <optional>
#include <string>

#include "core/util/energy_counter.h"

namespace gt {

// nullopt, with `whyNot` set, when the library cannot be loaded, does not know the GPU or cannot
// report its energy.
std::optional<EnergyCounter> nvmlEnergyCounter(const std::string& library, const std::string& pciBusId, std::string& whyNot);

}  // namespace gt
