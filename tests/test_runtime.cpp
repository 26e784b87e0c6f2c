// The process must run on an optimised BLAS: Debian's LibTorch calls the system libblas.so.3,
// and the reference implementation is ~30x slower than OpenBLAS. The energy meter reads RAPL
// counters from a powercap tree and NVML's counter from a stand-in library (fake_nvml.cpp), made
// here with known values, so its sums and wrap-arounds are checked against figures worked by hand.
#include <dlfcn.h>
#include <malloc.h>

#include <chrono>
#include <thread>

#include <QtTest/QtTest>

#include "core/report/comparison.h"
#include "core/util/blas_kernels.h"
#include "core/util/cpu_allocator.h"
#include "core/util/energy_meter.h"
#include "core/util/nvml_counter.h"
#include "core/util/rapl_counters.h"
#include "core/util/runtime_info.h"
#include "test_support.h"

using namespace gt;
namespace fs = std::filesystem;

namespace {

using test::writePowercapZone;

// A two-socket server's tree: two packages, the first with core and DRAM sub-zones, the platform
// zone (psys) and the MMIO copy of package 0, which must not be counted again.
void serverTree(const fs::path& root) {
  writePowercapZone(root, "intel-rapl:0", "package-0", 1000000, 262143328850);
  writePowercapZone(root, "intel-rapl:0:0", "core", 400000, 262143328850);
  writePowercapZone(root, "intel-rapl:0:1", "dram", 500000, 65712999613);
  writePowercapZone(root, "intel-rapl:1", "package-1", 9000000, 10000000);  // a 10 J range, to wrap in the test
  writePowercapZone(root, "intel-rapl:2", "psys", 7000000, 262143328850);
  writePowercapZone(root, "intel-rapl-mmio:0", "package-0", 1000000, 262143328850);
}

QStringList names(const std::vector<std::pair<std::string, double>>& counters) {
  QStringList out;
  for (const auto& [name, joules] : counters) out << QString::fromStdString(name);
  return out;
}

}  // namespace

class TestRuntime : public QObject {
  Q_OBJECT

 private Q_SLOTS:
  void optimisedBlasIsLoaded() {
    auto a = torch::randn({64, 64});
    (void)torch::mm(a, a);  // make sure the BLAS path has been used
    const BlasInfo blas = loadedBlas();
    QVERIFY2(!blas.isReference, qPrintable(QString::fromStdString("reference BLAS loaded from " + blas.path +
                                                                  "; run packaging/install-deps.sh (libopenblas0-openmp)")));
    QVERIFY2(blas.name != "unknown", "no BLAS library found among the loaded libraries");
    // packaging/install-deps.sh selects OpenBLAS's OpenMP build, which shares LibTorch's threads
    // (libblas.so.3 is a thin wrapper: the build that computes is the one libopenblas.so.0 names).
    QVERIFY2(!blas.ownThreadPool, qPrintable(QString::fromStdString(blasThreadingWarning(blas, 2))));
    QCOMPARE(QString::fromStdString(blasThreadingWarning(blas, 4)), QString());
  }

  void pthreadBlasWarnedAboutWithSeveralThreads() {
    BlasInfo pthreads{"OpenBLAS", "/usr/lib/x86_64-linux-gnu/openblas-pthread/libblas.so.3", "", false, true};
    QCOMPARE(QString::fromStdString(blasThreadingWarning(pthreads, 1)), QString());  // nothing runs beside it
    QCOMPARE(QString::fromStdString(blasThreadingWarning(pthreads, 2)),
             QString("OpenBLAS's pthread build (/usr/lib/x86_64-linux-gnu/openblas-pthread/libblas.so.3) runs its own threads "
                     "beside LibTorch's, which slows 2-thread training (1.78x on 2 cores); install libopenblas0-openmp and "
                     "select it: update-alternatives --set libblas.so.3-x86_64-linux-gnu "
                     "/usr/lib/x86_64-linux-gnu/openblas-openmp/libblas.so.3 (packaging/install-deps.sh does both)"));
  }

  void raplCountsPackagesAndDramOnce() {
    test::TempDir tmp;
    serverTree(tmp.path());
    std::string why;
    const auto counters = raplCounters(tmp.path(), why);
    QCOMPARE(QString::fromStdString(why), QString());
    QCOMPARE(counters.size(), size_t(3));
    QCOMPARE(QString::fromStdString(counters[0].name), QString("RAPL package-0"));
    QCOMPARE(QString::fromStdString(counters[1].name), QString("RAPL dram of package 0"));
    QCOMPARE(QString::fromStdString(counters[2].name), QString("RAPL package-1"));
    QCOMPARE(counters[0].readJoules(), 1.0);
    QCOMPARE(counters[1].readJoules(), 0.5);
    QCOMPARE(counters[0].wrapJoules, 262143.32885);
    QCOMPARE(counters[2].wrapJoules, 10.0);

    // Package 0 uses 2.5 J, its DRAM 0.1 J; package 1 counts from 9 J to its 10 J range and on
    // from 0 to 1 J: 2 J. In all 4.6 J.
    EnergyMeter meter(raplCounters(tmp.path(), why));
    QVERIFY(meter.available());
    test::writeFile(tmp.path() / "intel-rapl:0/energy_uj", "3500000\n");
    test::writeFile(tmp.path() / "intel-rapl:0:1/energy_uj", "600000\n");
    test::writeFile(tmp.path() / "intel-rapl:1/energy_uj", "1000000\n");
    meter.sample();
    const auto per = meter.perCounter();
    QCOMPARE(names(per), QStringList({"RAPL package-0", "RAPL dram of package 0", "RAPL package-1"}));
    QCOMPARE(QString::fromStdString(meter.counterNames()), QString("RAPL package-0, RAPL dram of package 0, RAPL package-1"));
    QVERIFY(std::abs(per[0].second - 2.5) < 1e-9);
    QVERIFY(std::abs(per[1].second - 0.1) < 1e-9);
    QVERIFY(std::abs(per[2].second - 2.0) < 1e-9);
    QVERIFY(std::abs(meter.joules() - 4.6) < 1e-9);
    QCOMPARE(QString::fromStdString(meter.note()), QString());
    // A second sample adds only what was used since the first.
    test::writeFile(tmp.path() / "intel-rapl:0/energy_uj", "4000000\n");
    meter.sample();
    QVERIFY(std::abs(meter.joules() - 5.1) < 1e-9);
    // sampleIfDue() (the trainer's, after each step) reads only once a second has passed since the last read.
    test::writeFile(tmp.path() / "intel-rapl:0/energy_uj", "4500000\n");
    const auto now = std::chrono::steady_clock::now();
    meter.sampleIfDue(now + std::chrono::milliseconds(500));
    QVERIFY(std::abs(meter.joules() - 5.1) < 1e-9);
    meter.sampleIfDue(now + EnergyMeter::kSampleInterval);
    QVERIFY(std::abs(meter.joules() - 5.6) < 1e-9);
  }

  void raplSaysWhyNoCounters() {
    test::TempDir tmp;
    std::string why;
    QVERIFY(raplCounters(tmp.path(), why).empty());
    QCOMPARE(QString::fromStdString(why), QString::fromStdString("no RAPL package zones under " + tmp.path().string()));
    QVERIFY(raplCounters(tmp.path() / "missing", why).empty());
    QCOMPARE(QString::fromStdString(why), QString::fromStdString((tmp.path() / "missing").string() +
                                                                 " does not exist (RAPL counters need Linux powercap, usually absent in virtual machines)"));
    writePowercapZone(tmp.path(), "intel-rapl:0", "package-0", 1, 100);
    test::writeFile(tmp.path() / "intel-rapl:0/energy_uj", "12 J\n");
    QVERIFY(raplCounters(tmp.path(), why).empty());
    QCOMPARE(QString::fromStdString(why),
             QString::fromStdString((tmp.path() / "intel-rapl:0/energy_uj").string() + ": expected a count of microjoules, got \"12 J\""));

    // An unavailable meter says why; the run records no energy.
    EnergyMeter none({}, "CPU: no RAPL package zones under /x");
    QVERIFY(!none.available());
    QCOMPARE(QString::fromStdString(none.note()), QString("CPU: no RAPL package zones under /x"));
  }

  void meterStopsWhenACounterFails() {
    test::TempDir tmp;
    writePowercapZone(tmp.path(), "intel-rapl:0", "package-0", 1000000, 262143328850);
    std::string why;
    EnergyMeter meter(raplCounters(tmp.path(), why));
    QVERIFY(meter.available());
    fs::remove(tmp.path() / "intel-rapl:0/energy_uj");
    meter.sample();
    QVERIFY(!meter.available());
    QCOMPARE(QString::fromStdString(meter.note()), QString::fromStdString((tmp.path() / "intel-rapl:0/energy_uj").string() +
                                                                          ": cannot be read during the run, so its energy is not recorded"));
    // A counter that never wraps (NVML's) and goes back was reset: its figure is not trusted.
    double value = 5;
    EnergyMeter reset({EnergyCounter{"NVML GPU x", [&] { return value; }, 0}});
    value = 7;
    reset.sample();
    QCOMPARE(reset.joules(), 2.0);
    value = 1;
    reset.sample();
    QVERIFY(!reset.available());
    QCOMPARE(QString::fromStdString(reset.note()),
             QString("NVML GPU x went back from 7.000000 J to 1.000000 J (reset by the driver?), so the run's energy is not recorded"));
  }

  void meterForTheCpuReadsTheTreeNamedByEnvironment() {
    test::TempDir tmp;
    serverTree(tmp.path());
    qputenv("GT_POWERCAP_ROOT", QByteArray::fromStdString(tmp.path().string()));
    EnergyMeter meter = EnergyMeter::forDevice("cpu");
    QVERIFY(meter.available());
    QCOMPARE(names(meter.perCounter()), QStringList({"RAPL package-0", "RAPL dram of package 0", "RAPL package-1"}));
    qputenv("GT_POWERCAP_ROOT", QByteArray::fromStdString((tmp.path() / "intel-rapl:2").string()));  // no zones inside
    EnergyMeter none = EnergyMeter::forDevice("cpu");
    QVERIFY(!none.available());
    QCOMPARE(QString::fromStdString(none.note()), QString::fromStdString("CPU: no RAPL package zones under " + (tmp.path() / "intel-rapl:2").string()));
    qunsetenv("GT_POWERCAP_ROOT");
  }

  void nvmlCounterReadsTheGpuByPciBusId() {
    void* fake = dlopen(GT_FAKE_NVML_PATH, RTLD_NOW | RTLD_LOCAL);
    QVERIFY2(fake, dlerror());
    auto setEnergy = reinterpret_cast<void (*)(unsigned long long, bool)>(dlsym(fake, "fakeNvmlSetEnergy"));
    auto sessions = reinterpret_cast<int (*)()>(dlsym(fake, "fakeNvmlOpenSessions"));
    QVERIFY(setEnergy && sessions);
    setEnergy(1234567, true);  // mJ
    std::string why;
    {
      auto counter = nvmlEnergyCounter(GT_FAKE_NVML_PATH, "00000000:3B:00.0", why);
      QVERIFY2(counter.has_value(), why.c_str());
      QCOMPARE(QString::fromStdString(counter->name), QString("NVML GPU 00000000:3B:00.0"));
      QCOMPARE(counter->readJoules(), 1234.567);
      QCOMPARE(counter->wrapJoules, 0.0);
      EnergyMeter meter({*counter});
      setEnergy(1334567, true);
      meter.sample();
      QVERIFY(std::abs(meter.joules() - 100.0) < 1e-9);
      QCOMPARE(sessions(), 1);
    }
    QCOMPARE(sessions(), 0);  // NVML is shut down with the last counter

    QVERIFY(!nvmlEnergyCounter(GT_FAKE_NVML_PATH, "00000000:99:00.0", why));
    QCOMPARE(QString::fromStdString(why), QString("NVML does not know the GPU at PCI 00000000:99:00.0: Not Found (NVML error 6)"));
    setEnergy(0, false);  // a GPU before Volta
    QVERIFY(!nvmlEnergyCounter(GT_FAKE_NVML_PATH, "00000000:3B:00.0", why));
    QCOMPARE(QString::fromStdString(why),
             QString("NVML GPU 00000000:3B:00.0: the energy counter cannot be read: Not Supported (NVML error 3)"));
    QCOMPARE(sessions(), 0);
    QVERIFY(!nvmlEnergyCounter("/nonexistent/libnvidia-ml.so.1", "00000000:3B:00.0", why));
    QVERIFY2(QString::fromStdString(why).startsWith("NVML (/nonexistent/libnvidia-ml.so.1) cannot be loaded: /nonexistent/libnvidia-ml.so.1: "),
             why.c_str());
    dlclose(fake);
  }

  // How train and pretrain print a run's energy (core/report/comparison.h), units chosen by size.
  void energySummaryLines() {
    QCOMPARE(QString::fromStdString(energySummary(12345.0, {{"RAPL package-0", 12000.0}, {"RAPL package-0 dram", 345.0}}, "")),
             QString("energy: 12.35 kJ (RAPL package-0 12.00 kJ, RAPL package-0 dram 345.0 J)"));
    QCOMPARE(QString::fromStdString(energySummary(2.5e6, {}, "package-1 stopped counting")),
             QString("energy: 2.50 MJ; not counted: package-1 stopped counting"));
    QCOMPARE(QString::fromStdString(energySummary(-1, {}, "no counters")), QString("energy: not measured (no counters)"));
  }

  // OpenBLAS's fallback for an Intel CPU it does not know ("Prescott") gives way to the kernels of the
  // CPU's vector units; a core it recognised is kept (core/util/blas_kernels.h).
  void blasKernelsFollowTheVectorUnits() {
    CpuVectorUnits units;
    QCOMPARE(QString::fromStdString(intelBlasCoreType(units)), QString(""));
    units.avx2 = true;
    QCOMPARE(QString::fromStdString(intelBlasCoreType(units)), QString(""));  // AVX2 without FMA
    units.fma = true;
    QCOMPARE(QString::fromStdString(intelBlasCoreType(units)), QString("Haswell"));
    units.avx512f = units.avx512bw = units.avx512dq = true;
    QCOMPARE(QString::fromStdString(intelBlasCoreType(units)), QString("Haswell"));  // no AVX-512 VL
    units.avx512vl = true;
    QCOMPARE(QString::fromStdString(intelBlasCoreType(units)), QString("SkylakeX"));
    QVERIFY(shouldReplaceBlasCore("Prescott", "SkylakeX"));
    QVERIFY(shouldReplaceBlasCore("Sandybridge", "Haswell"));
    QVERIFY(!shouldReplaceBlasCore("Prescott", ""));
    QVERIFY(!shouldReplaceBlasCore("Haswell", "SkylakeX"));
    QVERIFY(!shouldReplaceBlasCore("Zen", "Haswell"));
    QVERIFY(!shouldReplaceBlasCore("SkylakeX", "SkylakeX"));

    // This process: test_support switched the kernels at start, as the CLI and the studio do.
    const std::string kernels = openBlasKernels();
    QVERIFY2(!kernels.empty(), "OpenBLAS is the BLAS here (packaging/install-deps.sh), so its kernels have a name");
    const std::string core = kernels.substr(0, kernels.find(' '));
    const bool switched = kernels.find("OpenBLAS detected") != std::string::npos;
    const bool usersChoice = !switched && qEnvironmentVariableIsSet("OPENBLAS_CORETYPE");  // left alone
    __builtin_cpu_init();
    if (!usersChoice && __builtin_cpu_is("intel") && __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma"))
      QVERIFY2(!shouldReplaceBlasCore(core, "Haswell"), kernels.c_str());
    if (switched)
      QCOMPARE(qgetenv("OPENBLAS_CORETYPE").toStdString(), core);  // children compute with the same kernels
  }

  void mallocLeftToTheUserWhenConfigured() {
    const char* none[] = {"HOME=/root", "OPENBLAS_CORETYPE=Haswell", "GLIBC_TUNABLES=glibc.rtld.nns=2", nullptr};
    QCOMPARE(QString::fromStdString(userMallocSetting(none)), QString(""));
    const char* arena[] = {"HOME=/root", "MALLOC_ARENA_MAX=2", nullptr};
    QCOMPARE(QString::fromStdString(userMallocSetting(arena)), QString("MALLOC_ARENA_MAX"));
    const char* tunable[] = {"GLIBC_TUNABLES=glibc.rtld.nns=2:glibc.malloc.mmap_threshold=65536", nullptr};
    QCOMPARE(QString::fromStdString(userMallocSetting(tunable)), QString("GLIBC_TUNABLES"));
    const char* malformed[] = {"MALLOC_TOP_PAD_", nullptr};  // no '=': not a variable
    QCOMPARE(QString::fromStdString(userMallocSetting(malformed)), QString(""));
    QCOMPARE(QString::fromStdString(userMallocSetting(nullptr)), QString(""));
  }

  // test_support set malloc up as the CLI does: a 256 MiB block, freed, must come back from the
  // heap, on the main thread and on another (the studio trains on one), never from a fresh mmap
  // (glibc's default for any block above 32 MiB, which page-faults every training step again).
  void largeBlocksComeFromTheHeap() {
    const std::string summary = cpuAllocatorSummary();
    if (summary.find("defaults (") != std::string::npos) QSKIP(summary.c_str());  // the user's MALLOC_* setting
    QCOMPARE(QString::fromStdString(summary), QString("glibc malloc, freed blocks up to 1 GiB kept for reuse"));
    constexpr size_t kBytes = size_t(256) << 20;
    auto allocateAndFree = [] {
      auto* block = static_cast<volatile char*>(std::malloc(kBytes));
      if (block == nullptr) return size_t(0);
      block[0] = 1;
      block[kBytes - 1] = 2;
      const size_t mapped = mallinfo2().hblkhd;  // bytes in mmap'd blocks, this one included if mmap'd
      std::free(const_cast<char*>(block));
      return mapped;
    };
    const size_t before = mallinfo2().hblkhd;
    QVERIFY2(allocateAndFree() < before + kBytes, "a 256 MiB block on the main thread was mmap'd");
    size_t onThread = 0;
    std::thread([&] { onThread = allocateAndFree(); }).join();
    QVERIFY2(onThread < before + kBytes, "a 256 MiB block on another thread was mmap'd");
    releaseFreedMemory();
  }

  void summaryNamesBlasAndThreads() {
    const std::string s = runtimeSummary();
    QVERIFY(s.find("BLAS: ") != std::string::npos);
    QVERIFY(s.find("threads: " + std::to_string(computeThreads())) != std::string::npos);
    QVERIFY(s.find("\nmemory allocator: " + cpuAllocatorSummary() + "\n") != std::string::npos);
    QVERIFY(computeThreads() >= 1);
  }
};

QTEST_GUILESS_MAIN(TestRuntime)
#include "test_runtime.moc"
