// The process must run on an optimised BLAS: Debian's LibTorch calls the system libblas.so.3,
// and the reference implementation is ~30x slower than OpenBLAS.
#include <QtTest/QtTest>

#include "core/util/runtime_info.h"

using namespace gt;

class TestRuntime : public QObject {
  Q_OBJECT

 private Q_SLOTS:
  void optimisedBlasIsLoaded() {
    auto a = torch::randn({64, 64});
    (void)torch::mm(a, a);  // make sure the BLAS path has been used
    const BlasInfo blas = loadedBlas();
    QVERIFY2(!blas.isReference, qPrintable(QString::fromStdString("reference BLAS loaded from " + blas.path +
                                                                  "; run packaging/install-deps.sh (libopenblas0-pthread)")));
    QVERIFY2(blas.name != "unknown", "no BLAS library found among the loaded libraries");
  }

  void summaryNamesBlasAndThreads() {
    const std::string s = runtimeSummary();
    QVERIFY(s.find("BLAS: ") != std::string::npos);
    QVERIFY(s.find("threads: " + std::to_string(computeThreads())) != std::string::npos);
    QVERIFY(computeThreads() >= 1);
  }
};

QTEST_GUILESS_MAIN(TestRuntime)
#include "test_runtime.moc"
