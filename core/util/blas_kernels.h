// Which OpenBLAS kernels this process computes with. OpenBLAS chooses them from the CPU's family
// and model numbers when it loads, and a CPU newer than the library gets its generic SSE3
// "Prescott" kernels: Debian 12's OpenBLAS 0.3.21 does that on Intel's model 207 (Emerald
// Rapids), where a 1024^3 sgemm then ran at 33 GFLOP/s on one core instead of 118 with the AVX-512
// kernels, and the demo model's training step 2.9x slower (tests/bench/cpu_setup.sh kernels).
// useFastBlasKernels() repairs that at the start of each program: on an Intel CPU whose vector units
// OpenBLAS did not recognise, it selects the kernels those units run (OpenBLAS's own
// OPENBLAS_CORETYPE, applied through its exported gotoblas_dynamic_quit/_init before any BLAS call).
#pragma once
#include <string>

namespace gt {

struct CpuVectorUnits {
  bool avx2 = false, fma = false;
  bool avx512f = false, avx512bw = false, avx512dq = false, avx512vl = false;
};

// The OpenBLAS core for an Intel CPU with these units: "SkylakeX" (AVX-512 F/BW/DQ/VL),
// "Haswell" (AVX2 + FMA), or "" (older CPUs: OpenBLAS's own choice stands).
std::string intelBlasCoreType(const CpuVectorUnits& units);

// Whether `detected`, the core OpenBLAS chose, is one of its pre-AVX2 Intel cores (its fallback for
// CPUs it does not know is "Prescott"), so that `better` (from intelBlasCoreType) should replace it.
bool shouldReplaceBlasCore(const std::string& detected, const std::string& better);

// Call first thing in main(), before any BLAS call. Does nothing when OPENBLAS_CORETYPE is set
// (the user's choice), when the BLAS is not OpenBLAS or the CPU is not Intel, or when OpenBLAS's
// choice already uses the CPU's vector units. Sets OPENBLAS_CORETYPE when it switches, so child
// processes compute with the same kernels.
void useFastBlasKernels();

// The kernels OpenBLAS computes with ("SkylakeX"), followed by " (chosen by greentrainer; OpenBLAS
// detected Prescott)" when useFastBlasKernels switched them; "" when the BLAS is not OpenBLAS.
std::string openBlasKernels();

}  // namespace gt
