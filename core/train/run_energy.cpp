#include "core/train/run_energy.h"

#include <algorithm>

#include "core/log/log.h"

namespace gt {

RunEnergy::RunEnergy(const std::string& device) : meter_(EnergyMeter::forDevice(device)) {}

void RunEnergy::logCounters() const {
  if (!meter_.available()) {
    log::info("energy: not measured (" + meter_.note() + ")");
    return;
  }
  log::info("energy: measured by " + meter_.counterNames() + (meter_.note().empty() ? "" : "; not counted: " + meter_.note()));
}

void RunEnergy::resumeFrom(const RunRecord& earlier) {
  before_ = earlier.energyJoules;
  beforeSources_ = earlier.energySources;
  beforeNote_ = earlier.energyNote;
  const std::string unmeasured = "an earlier session of this resumed run measured no energy, so the total is unknown";
  if (before_ < 0 && beforeNote_.find(unmeasured) == std::string::npos) beforeNote_ += (beforeNote_.empty() ? "" : "; ") + unmeasured;
}

double RunEnergy::soFar() const { return meter_.available() && before_ >= 0 ? before_ + meter_.joules() : -1.0; }

void RunEnergy::writeTo(RunRecord& record) const {
  record.energyJoules = soFar();
  record.energySources = beforeSources_;  // added by counter name
  for (const auto& [name, joules] : meter_.perCounter()) {
    auto it = std::find_if(record.energySources.begin(), record.energySources.end(), [&](const auto& s) { return s.first == name; });
    if (it == record.energySources.end()) record.energySources.emplace_back(name, joules);
    else it->second += joules;
  }
  record.energyNote = beforeNote_;
  if (!meter_.note().empty() && record.energyNote.find(meter_.note()) == std::string::npos)
    record.energyNote += (record.energyNote.empty() ? "" : "; ") + meter_.note();
}

}  // namespace gt
