// A stand-in for NVIDIA's libnvidia-ml.so.1 with the entry points nvml_counter.cpp loads, so the
// NVML path is tested on machines without a GPU. It knows one GPU, at PCI 00000000:3B:00.0, whose
// energy counter the test sets (fakeNvmlSetEnergy) or makes unsupported, as on GPUs before Volta.
// Return codes and messages are NVML's: 0 success, 3 "Not Supported", 6 "Not Found".
#include <cstring>

namespace {
unsigned long long g_millijoules = 0;
bool g_supported = true;
int g_initialised = 0;  // nvmlInit_v2 calls not yet matched by nvmlShutdown
int g_device = 0;       // its address is the GPU's handle
}  // namespace

extern "C" {

int nvmlInit_v2() {
  ++g_initialised;
  return 0;
}

int nvmlShutdown() {
  --g_initialised;
  return 0;
}

const char* nvmlErrorString(int result) {
  switch (result) {
    case 0: return "Success";
    case 3: return "Not Supported";
    case 6: return "Not Found";
    default: return "Unknown Error";
  }
}

int nvmlDeviceGetHandleByPciBusId_v2(const char* pciBusId, void** device) {
  if (std::strcmp(pciBusId, "00000000:3B:00.0") != 0) return 6;
  *device = &g_device;
  return 0;
}

int nvmlDeviceGetTotalEnergyConsumption(void* device, unsigned long long* millijoules) {
  if (device != &g_device) return 6;
  if (!g_supported) return 3;
  *millijoules = g_millijoules;
  return 0;
}

// The test's controls.
void fakeNvmlSetEnergy(unsigned long long millijoules, bool supported) {
  g_millijoules = millijoules;
  g_supported = supported;
}

int fakeNvmlOpenSessions() { return g_initialised; }

}  // extern "C"
