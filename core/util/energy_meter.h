// The energy a run uses, from the hardware's own counters: RAPL on the host's CPU packages and
// their DRAM (rapl_counters.h) and, on a CUDA device, NVML on that GPU (nvml_counter.h). A
// counter that cannot be read is left out and the note says which and why; where none can be
// read the meter is unavailable and a run records no energy — never an estimate. RAPL counters
// wrap (after ~262 kJ: minutes at full power on a large server), so sample() must run at least
// once per wrap period; the trainer calls sampleIfDue() after every step, which reads them at most
// once a second (one NVML read costs milliseconds: a read per step made a GPU step of the demo model
// 20% slower, docs/gpu-speed.md).
#pragma once
#include <chrono>
#include <string>
#include <utility>
#include <vector>

#include "core/util/energy_counter.h"

namespace gt {

class EnergyMeter {
 public:
  // Reads every counter once as the starting point; a counter whose read fails is left out (note()).
  explicit EnergyMeter(std::vector<EnergyCounter> counters, std::string note = "");
  // The counters for a run on `device` ("cpu", "cuda", "cuda:N"): RAPL under $GT_POWERCAP_ROOT
  // (default /sys/class/powercap; a container may mount the host's tree elsewhere) and, on CUDA,
  // NVML from $GT_NVML_LIBRARY (default libnvidia-ml.so.1) for the GPU's PCI bus id.
  static EnergyMeter forDevice(const std::string& device);

  // Some counter is counted and none has failed since the start.
  bool available() const { return !counters_.empty() && !failed_; }
  // Reads every counter and adds what each used since the last read, across wrap-arounds. A read
  // that fails makes the meter unavailable for the rest of the run (note() says why); it never throws.
  void sample();
  // sample() when at least kSampleInterval has passed since the last read (the first read is the
  // constructor's); `now` is the caller's clock reading.
  static constexpr std::chrono::milliseconds kSampleInterval{1000};
  void sampleIfDue(std::chrono::steady_clock::time_point now = std::chrono::steady_clock::now());
  // Joules since the start, as of the last sample(): in all and per counter (name, joules).
  double joules() const;
  std::vector<std::pair<std::string, double>> perCounter() const;
  // The counted counters' names, ", "-separated ("RAPL package-0, NVML GPU 00000000:3B:00.0").
  std::string counterNames() const;
  // What is not counted and why ("" when nothing is missing).
  const std::string& note() const { return note_; }

 private:
  struct Tracked {
    EnergyCounter counter;
    double last = 0, used = 0;
  };
  std::vector<Tracked> counters_;
  std::string note_;
  bool failed_ = false;
  std::chrono::steady_clock::time_point lastRead_ = std::chrono::steady_clock::now();
};

}  // namespace gt
