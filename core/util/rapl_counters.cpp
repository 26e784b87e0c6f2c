#include "core/util/rapl_counters.h"

#include <algorithm>
#include <fstream>
#include <optional>
#include <regex>

#include "core/util/error.h"

namespace gt {
namespace {

namespace fs = std::filesystem;

// The first line of a sysfs attribute; nullopt when it cannot be read.
std::optional<std::string> sysfsLine(const fs::path& file) {
  std::ifstream in(file);
  std::string line;
  if (!in || !std::getline(in, line)) return std::nullopt;
  return line;
}

// A counter attribute in microjoules, as joules; throws naming the file when it is not a number.
double microjoules(const fs::path& file) {
  const auto text = sysfsLine(file);
  check(text.has_value(), file.string() + ": cannot be read");
  size_t used = 0;
  unsigned long long value = 0;
  try {
    value = std::stoull(*text, &used);
  } catch (const std::exception&) {
    used = 0;
  }
  check(used > 0 && used == text->size(), file.string() + ": expected a count of microjoules, got \"" + *text + "\"");
  return double(value) * 1e-6;
}

}  // namespace

std::vector<EnergyCounter> raplCounters(const fs::path& root, std::string& whyNot) {
  static const std::regex zoneName(R"(intel-rapl:(\d+)(?::(\d+))?)");
  std::error_code ec;
  if (!fs::exists(root, ec)) {
    whyNot = root.string() + " does not exist (RAPL counters need Linux powercap, usually absent in virtual machines)";
    return {};
  }
  std::vector<std::pair<fs::path, std::string>> zones;  // (zone folder, counter name)
  for (const auto& entry : fs::directory_iterator(root, ec)) {
    std::smatch m;
    const std::string id = entry.path().filename().string();
    if (!std::regex_match(id, m, zoneName)) continue;
    const std::string name = sysfsLine(entry.path() / "name").value_or("");
    if (!m[2].matched && name.rfind("package", 0) == 0) zones.emplace_back(entry.path(), "RAPL " + name);
    if (m[2].matched && name == "dram") zones.emplace_back(entry.path(), "RAPL dram of package " + m[1].str());
  }
  if (ec) {
    whyNot = root.string() + ": not readable (" + ec.message() + "), so no RAPL counters";
    return {};
  }
  if (zones.empty()) {
    whyNot = "no RAPL package zones under " + root.string();
    return {};
  }
  std::sort(zones.begin(), zones.end());
  std::vector<EnergyCounter> out;
  for (const auto& [dir, name] : zones) {
    const fs::path energy = dir / "energy_uj";
    if (!sysfsLine(energy)) {
      // Since Linux 5.10 (CVE-2020-8694) energy_uj is readable by root only.
      whyNot = energy.string() + ": not readable (since Linux 5.10 only root may read RAPL counters; run as root or grant read access)";
      return {};
    }
    EnergyCounter c;
    c.name = name;
    c.readJoules = [energy] { return microjoules(energy); };
    try {
      c.readJoules();
      c.wrapJoules = microjoules(dir / "max_energy_range_uj");
    } catch (const Error& e) {
      whyNot = e.what();
      return {};
    }
    out.push_back(std::move(c));
  }
  return out;
}

}  // namespace gt
