#include "core/util/blas_kernels.h"

#include <dlfcn.h>

#include <algorithm>
#include <cstdlib>

namespace gt {
namespace {

// Set when useFastBlasKernels switched: what OpenBLAS had chosen. A function's static, not a
// global: test programs switch from another file's static initialiser, which may run first.
std::string& detectedCore() {
  static std::string name;
  return name;
}

template <typename Fn>
Fn openBlasFunction(const char* name) {
  return reinterpret_cast<Fn>(dlsym(RTLD_DEFAULT, name));
}

}  // namespace

std::string intelBlasCoreType(const CpuVectorUnits& u) {
  if (u.avx512f && u.avx512bw && u.avx512dq && u.avx512vl) return "SkylakeX";
  if (u.avx2 && u.fma) return "Haswell";
  return "";
}

bool shouldReplaceBlasCore(const std::string& detected, const std::string& better) {
  // OpenBLAS's names of Intel cores without AVX2 (dynamic.c); anything else it chose is kept.
  static const char* const kOlder[] = {"Katmai", "Coppermine", "Northwood", "Prescott", "Banias", "Core2",
                                       "Penryn", "Dunnington", "Nehalem", "Atom", "Sandybridge"};
  const bool older = std::any_of(std::begin(kOlder), std::end(kOlder), [&](const char* name) { return detected == name; });
  return !better.empty() && older;
}

void useFastBlasKernels() {
  if (std::getenv("OPENBLAS_CORETYPE") != nullptr) return;
  using NameFn = char* (*)();
  using VoidFn = void (*)();
  const auto coreName = openBlasFunction<NameFn>("openblas_get_corename");
  const auto quit = openBlasFunction<VoidFn>("gotoblas_dynamic_quit");
  const auto init = openBlasFunction<VoidFn>("gotoblas_dynamic_init");
  if (coreName == nullptr || quit == nullptr || init == nullptr) return;  // not a DYNAMIC_ARCH OpenBLAS
#if defined(__x86_64__) || defined(__i386__)
  __builtin_cpu_init();
  if (!__builtin_cpu_is("intel")) return;
  CpuVectorUnits units;
  units.avx2 = __builtin_cpu_supports("avx2");
  units.fma = __builtin_cpu_supports("fma");
  units.avx512f = __builtin_cpu_supports("avx512f");
  units.avx512bw = __builtin_cpu_supports("avx512bw");
  units.avx512dq = __builtin_cpu_supports("avx512dq");
  units.avx512vl = __builtin_cpu_supports("avx512vl");
  const std::string better = intelBlasCoreType(units);
  const std::string detected = coreName();
  if (!shouldReplaceBlasCore(detected, better)) return;
  // gotoblas_dynamic_init reads OPENBLAS_CORETYPE and sets the kernel table and its blocking
  // sizes, but only while the table is unset: quit unsets it. No BLAS call has run yet.
  setenv("OPENBLAS_CORETYPE", better.c_str(), 1);
  quit();
  init();
  detectedCore() = detected;
#endif
}

std::string openBlasKernels() {
  using NameFn = char* (*)();
  const auto coreName = openBlasFunction<NameFn>("openblas_get_corename");
  if (coreName == nullptr) return "";
  return std::string(coreName()) + (detectedCore().empty() ? "" : " (chosen by greentrainer; OpenBLAS detected " + detectedCore() + ")");
}

}  // namespace gt
