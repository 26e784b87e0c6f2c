#include "core/util/energy_meter.h"

#include <cstdlib>

#include "core/util/error.h"
#include "core/util/nvml_counter.h"
#include "core/util/rapl_counters.h"

#ifdef GT_WITH_CUDA
#include <cuda_runtime_api.h>
#endif

namespace gt {
namespace {

void addNote(std::string& note, const std::string& text) { note += (note.empty() ? "" : "; ") + text; }

std::string environmentOr(const char* name, const std::string& fallback) {
  const char* v = std::getenv(name);
  return v && *v ? std::string(v) : fallback;
}

// "0000:3b:00.0" for a CUDA device index (CUDA numbers GPUs after CUDA_VISIBLE_DEVICES, NVML does
// not); "" when unknown.
std::string cudaPciBusId(const std::string& device) {
#ifdef GT_WITH_CUDA
  const int index = device.rfind("cuda:", 0) == 0 ? std::atoi(device.c_str() + 5) : 0;
  char id[32] = {};
  if (cudaDeviceGetPCIBusId(id, int(sizeof id), index) == cudaSuccess) return id;
#else
  (void)device;
#endif
  return "";
}

}  // namespace

EnergyMeter::EnergyMeter(std::vector<EnergyCounter> counters, std::string note) : note_(std::move(note)) {
  for (auto& c : counters) {
    try {
      const double start = c.readJoules();
      counters_.push_back({std::move(c), start, 0});
    } catch (const std::exception& e) {
      addNote(note_, e.what());
    }
  }
}

EnergyMeter EnergyMeter::forDevice(const std::string& device) {
  std::string note, why;
  std::vector<EnergyCounter> counters = raplCounters(environmentOr("GT_POWERCAP_ROOT", "/sys/class/powercap"), why);
  if (counters.empty()) addNote(note, "CPU: " + why);
  if (device.rfind("cuda", 0) == 0) {
    const std::string pci = cudaPciBusId(device);
    why.clear();
    auto gpu = pci.empty() ? std::nullopt : nvmlEnergyCounter(environmentOr("GT_NVML_LIBRARY", "libnvidia-ml.so.1"), pci, why);
    if (gpu) counters.push_back(std::move(*gpu));
    else addNote(note, "GPU: " + (pci.empty() ? "the PCI bus id of " + device + " is unknown" : why));
  }
  return EnergyMeter(std::move(counters), note);
}

void EnergyMeter::sampleIfDue(std::chrono::steady_clock::time_point now) {
  if (now - lastRead_ >= kSampleInterval) sample();
}

void EnergyMeter::sample() {
  lastRead_ = std::chrono::steady_clock::now();
  if (!available()) return;
  for (auto& t : counters_) {
    double now = 0;
    try {
      now = t.counter.readJoules();
    } catch (const std::exception& e) {
      failed_ = true;
      addNote(note_, std::string(e.what()) + " during the run, so its energy is not recorded");
      return;
    }
    double used = now - t.last;
    // A counter that went down has wrapped: it counted to its range, then from 0 to `now`.
    if (used < 0 && t.counter.wrapJoules > 0) used += t.counter.wrapJoules;
    if (used < 0) {
      failed_ = true;
      addNote(note_, t.counter.name + " went back from " + std::to_string(t.last) + " J to " + std::to_string(now) +
                         " J (reset by the driver?), so the run's energy is not recorded");
      return;
    }
    t.used += used;
    t.last = now;
  }
}

double EnergyMeter::joules() const {
  double sum = 0;
  for (const auto& t : counters_) sum += t.used;
  return sum;
}

std::vector<std::pair<std::string, double>> EnergyMeter::perCounter() const {
  std::vector<std::pair<std::string, double>> out;
  for (const auto& t : counters_) out.emplace_back(t.counter.name, t.used);
  return out;
}

std::string EnergyMeter::counterNames() const {
  std::string names;
  for (const auto& t : counters_) names += (names.empty() ? "" : ", ") + t.counter.name;
  return names;
}

}  // namespace gt
