// One hardware energy counter: a cumulative reading in joules that the hardware keeps itself
// (RAPL, NVML), read as often as the caller likes. EnergyMeter (energy_meter.h) turns readings
// into the energy used between two points of a run, across counter wrap-arounds.
#pragma once
#include <functional>
#include <string>

namespace gt {

struct EnergyCounter {
  std::string name;                    // "RAPL package-0", "NVML GPU 00000000:3B:00.0"
  std::function<double()> readJoules;  // the counter's current value; throws gt::Error when it cannot be read
  double wrapJoules = 0;               // the counter starts again from 0 after this many joules (0: it never wraps)
};

}  // namespace gt
