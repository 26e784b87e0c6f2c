#include "core/util/nvml_counter.h"

#include <dlfcn.h>

#include <memory>

#include "core/util/error.h"

namespace gt {
namespace {

// The few NVML entry points used, with the types of nvml.h (nvmlReturn_t is an int-sized enum,
// nvmlDevice_t an opaque pointer; NVML_SUCCESS is 0).
using NvmlReturn = int;
using NvmlDevice = void*;
using InitFn = NvmlReturn (*)();
using ShutdownFn = NvmlReturn (*)();
using ErrorStringFn = const char* (*)(NvmlReturn);
using HandleByPciBusIdFn = NvmlReturn (*)(const char*, NvmlDevice*);
using TotalEnergyFn = NvmlReturn (*)(NvmlDevice, unsigned long long*);

// The loaded library, initialised; shut down and unloaded with the last counter that reads it.
struct Nvml {
  void* handle = nullptr;
  ShutdownFn shutdown = nullptr;
  ErrorStringFn errorString = nullptr;
  TotalEnergyFn totalEnergy = nullptr;
  bool initialised = false;
  ~Nvml() {
    if (initialised && shutdown) shutdown();
    if (handle) dlclose(handle);
  }
  std::string describe(NvmlReturn r) const {
    const char* text = errorString ? errorString(r) : nullptr;
    return text ? std::string(text) + " (NVML error " + std::to_string(r) + ")" : "NVML error " + std::to_string(r);
  }
};

}  // namespace

std::optional<EnergyCounter> nvmlEnergyCounter(const std::string& library, const std::string& pciBusId, std::string& whyNot) {
  auto nvml = std::make_shared<Nvml>();
  nvml->handle = dlopen(library.c_str(), RTLD_NOW | RTLD_LOCAL);
  if (!nvml->handle) {
    const char* e = dlerror();
    whyNot = "NVML (" + library + ") cannot be loaded: " + (e ? e : "unknown error");
    return std::nullopt;
  }
  auto init = reinterpret_cast<InitFn>(dlsym(nvml->handle, "nvmlInit_v2"));
  auto byPci = reinterpret_cast<HandleByPciBusIdFn>(dlsym(nvml->handle, "nvmlDeviceGetHandleByPciBusId_v2"));
  nvml->shutdown = reinterpret_cast<ShutdownFn>(dlsym(nvml->handle, "nvmlShutdown"));
  nvml->errorString = reinterpret_cast<ErrorStringFn>(dlsym(nvml->handle, "nvmlErrorString"));
  nvml->totalEnergy = reinterpret_cast<TotalEnergyFn>(dlsym(nvml->handle, "nvmlDeviceGetTotalEnergyConsumption"));
  if (!init || !byPci || !nvml->shutdown || !nvml->totalEnergy) {
    whyNot = "NVML (" + library + ") lacks nvmlInit_v2, nvmlDeviceGetHandleByPciBusId_v2, nvmlShutdown or nvmlDeviceGetTotalEnergyConsumption";
    return std::nullopt;
  }
  if (const NvmlReturn r = init(); r != 0) {
    whyNot = "NVML could not start: " + nvml->describe(r);
    return std::nullopt;
  }
  nvml->initialised = true;
  NvmlDevice device = nullptr;
  if (const NvmlReturn r = byPci(pciBusId.c_str(), &device); r != 0) {
    whyNot = "NVML does not know the GPU at PCI " + pciBusId + ": " + nvml->describe(r);
    return std::nullopt;
  }
  const std::string name = "NVML GPU " + pciBusId;
  auto read = [nvml, device, name] {
    unsigned long long millijoules = 0;
    const NvmlReturn r = nvml->totalEnergy(device, &millijoules);
    check(r == 0, name + ": the energy counter cannot be read: " + nvml->describe(r));
    return double(millijoules) * 1e-3;
  };
  try {
    read();  // GPUs before Volta answer "Not Supported"
  } catch (const Error& e) {
    whyNot = e.what();
    return std::nullopt;
  }
  return EnergyCounter{name, read, 0};
}

}  // namespace gt
