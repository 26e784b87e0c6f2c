#include "core/util/memory_usage.h"

#include <fstream>
#include <string>

namespace gt {
namespace {

int64_t statusField(const std::string& key) {
  std::ifstream in("/proc/self/status");
  std::string line;
  while (std::getline(in, line))
    if (line.rfind(key + ":", 0) == 0) return std::stoll(line.substr(key.size() + 1)) * 1024;  // kB
  return -1;
}

}  // namespace

int64_t currentRssBytes() { return statusField("VmRSS"); }
int64_t peakRssBytes() { return statusField("VmHWM"); }

bool resetPeakRss() {
  std::ofstream out("/proc/self/clear_refs");
  out << "5";
  out.flush();
  return static_cast<bool>(out);
}

}  // namespace gt
