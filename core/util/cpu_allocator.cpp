#include "core/util/cpu_allocator.h"

#include <cstring>

#if defined(__GLIBC__)
#include <malloc.h>
#endif

extern char** environ;

namespace gt {
namespace {

constexpr int kKeepBelowBytes = 1 << 30;  // blocks under 1 GiB come from the heap and go back to it
// A function's static, not a global: test programs call keepFreedMemoryForReuse() from another
// file's static initialiser, which may run before this file's globals are constructed.
std::string& summary() {
  static std::string text = "glibc malloc defaults";
  return text;
}

}  // namespace

std::string userMallocSetting(const char* const* environment) {
  for (const char* const* e = environment; e != nullptr && *e != nullptr; ++e) {
    const char* entry = *e;
    const char* equals = std::strchr(entry, '=');
    if (equals == nullptr) continue;
    const std::string name(entry, equals);
    // glibc reads MALLOC_ARENA_MAX, MALLOC_MMAP_THRESHOLD_, MALLOC_TRIM_THRESHOLD_, MALLOC_TOP_PAD_, ...
    if (name.rfind("MALLOC_", 0) == 0) return name;
    if (name == "GLIBC_TUNABLES" && std::strstr(equals + 1, "glibc.malloc.") != nullptr) return name;
  }
  return "";
}

void keepFreedMemoryForReuse() {
#if defined(__GLIBC__)
  if (const std::string user = userMallocSetting(environ); !user.empty()) {
    summary() = "glibc malloc defaults (" + user + " is set)";
    return;
  }
  // A fixed threshold also stops glibc's own adjustment (which only rises to 32 MiB).
  const bool ok = mallopt(M_MMAP_THRESHOLD, kKeepBelowBytes) == 1 && mallopt(M_TRIM_THRESHOLD, kKeepBelowBytes) == 1 &&
                  // Threads other than main() get arenas of at most 64 MiB, whose larger blocks are
                  // mmap'd whatever the threshold: one arena serves the studio's training thread too.
                  mallopt(M_ARENA_MAX, 1) == 1;
  summary() = ok ? "glibc malloc, freed blocks up to 1 GiB kept for reuse" : "glibc malloc defaults (mallopt refused the thresholds)";
#else
  summary() = "not glibc's malloc";
#endif
}

std::string cpuAllocatorSummary() { return summary(); }

void releaseFreedMemory() {
#if defined(__GLIBC__)
  malloc_trim(0);
#endif
}

}  // namespace gt
