// A training run's energy across its sessions: this session's meter (core/util/energy_meter.h)
// plus what the earlier sessions of a resumed run recorded, by counter. The total is known only
// when every session measured it; the note says what was not counted and why.
#pragma once
#include <string>

#include "core/report/run_record.h"
#include "core/util/energy_meter.h"

namespace gt {

class RunEnergy {
 public:
  // Starts this session's meter for `device`.
  explicit RunEnergy(const std::string& device);
  // Logs what the meter counts, or why it cannot (once the run is under way: bad input fails first, quietly).
  void logCounters() const;
  // A resumed run: adds the earlier sessions' energy, as their record has it.
  void resumeFrom(const RunRecord& earlier);
  // Reads the counters now (before a record is written).
  void sample() { meter_.sample(); }
  // Reads them when a second has passed since the last read; call after every step.
  void sampleIfDue() { meter_.sampleIfDue(); }
  // Joules of the whole run so far; -1 when some session's energy was not measured.
  double soFar() const;
  // The record's energy fields: total, per counter, note.
  void writeTo(RunRecord& record) const;

 private:
  EnergyMeter meter_;
  double before_ = 0;  // earlier sessions' joules; -1: one of them measured none
  std::vector<std::pair<std::string, double>> beforeSources_;
  std::string beforeNote_;
};

}  // namespace gt
