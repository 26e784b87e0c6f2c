// Precision modes (core/train/mixed_precision.h): autocast regions compute matmuls in bf16 and
// end cleanly; fp16-mixed's loss scaler skips an overflowing step without touching the weights or
// AdamW's state and halves the scale, as torch.amp.GradScaler does; bf16-mixed trains with fp32
// master weights and learns like fp32; bad precision settings are refused by name.
#include <QtTest/QtTest>

#include <ATen/autocast_mode.h>
#include <torch/version.h>

#include "core/io/safetensors.h"
#include "core/train/mixed_precision.h"
#include "core/train/trainer.h"
#include "core/util/json_file.h"
#include "test_support.h"

using namespace gt;
namespace fs = std::filesystem;

namespace {

RunConfig tinyRun(const fs::path& out, const std::string& precision) {
  RunConfig c = test::tinyOptRun(out);
  c.method = "full";
  c.epochs = 4;
  c.lr = 3e-3;
  c.precision = precision;
  return c;
}

// The first AdamW step in closed form: m/(1-b1) = g and sqrt(v/(1-b2)) = |g|, so
// p <- p (1 - lr wd) - lr g / (|g| + eps).
torch::Tensor firstAdamWStep(const torch::Tensor& p, const torch::Tensor& g, double lr, double wd) {
  return p * (1 - lr * wd) - lr * g / (g.abs() + 1e-8);
}

}  // namespace

class TestMixedPrecision : public QObject {
  Q_OBJECT

 private Q_SLOTS:
  void autocastRegionsComputeInBf16AndEnd() {
    const auto a = torch::randn({8, 8});
    QCOMPARE(torch::matmul(a, a).scalar_type(), torch::kFloat32);
    {
      AutocastGuard outer("bf16-mixed", torch::Device("cpu"));
      QCOMPARE(torch::matmul(a, a).scalar_type(), torch::kBFloat16);
      { AutocastGuard inner("bf16-mixed", torch::Device("cpu")); }
      QCOMPARE(torch::matmul(a, a).scalar_type(), torch::kBFloat16);  // an inner region ending leaves the outer one on
      AutocastGuard none("fp32", torch::Device("cpu"));               // fp32 changes nothing
      QCOMPARE(torch::matmul(a, a).scalar_type(), torch::kBFloat16);
    }
    QCOMPARE(torch::matmul(a, a).scalar_type(), torch::kFloat32);
    { AutocastGuard trueBf16("bf16-true", torch::Device("cpu")); QCOMPARE(torch::matmul(a, a).scalar_type(), torch::kFloat32); }
  }

  // Autocast caches the bf16 copy of a weight for its region and does not see in-place changes: a
  // region that changes weights (the importance pass at w + Δw) must run without the cache.
  void autocastRegionThatChangesWeightsSeesTheNewValues() {
    const auto x = torch::randn({4, 8});
    auto w = torch::randn({8, 8}).requires_grad_(true);
    auto changed = [&](bool weightsChangeInside) {
      AutocastGuard g("bf16-mixed", torch::Device("cpu"), weightsChangeInside);
      const auto before = torch::matmul(x, w);
      {
        torch::NoGradGuard noGrad;
        w.add_(1.0);
      }
      const auto after = torch::matmul(x, w);
      {
        torch::NoGradGuard noGrad;
        w.sub_(1.0);
      }
      return !torch::equal(before, after);
    };
    QVERIFY(!changed(false));  // the cache: the second product used the stale copy (why the flag exists)
    QVERIFY(changed(true));
    QVERIFY(at::autocast::is_autocast_cache_enabled());  // restored after the region
  }

  void lossScalerSkipsAnOverflowingStep() {
    torch::manual_seed(3);
    auto w = torch::randn({4}).requires_grad_(true);
    const double lr = 0.1, wd = 0.01;
    AdamW opt({{"w", w}}, {lr, 0.9, 0.999, 1e-8, wd});
    LossScaler scaler(true, 1024.0, 3);
    QCOMPARE(scaler.scaled(torch::tensor(2.0)).item<double>(), 2048.0);

    const auto before = w.detach().clone();
    const auto g = torch::tensor({0.5, -2.0, 1.0, 3.0});
    // An overflow (one inf) and then a NaN: both skipped, weights and AdamW state untouched, scale halved each time.
    for (double bad : {std::numeric_limits<double>::infinity(), std::nan("")}) {
      auto scaledGrad = g * scaler.scale();
      scaledGrad[1] = bad;
      w.mutable_grad() = scaledGrad;
      QVERIFY(!scaledOptimizerStep(opt, scaler));
      opt.zeroGrad();
      QVERIFY(torch::equal(w.detach(), before));
      QVERIFY(opt.state().empty());
    }
    QCOMPARE(scaler.scale(), 256.0);
    QCOMPARE(scaler.goodSteps(), int64_t(0));

    // A finite step: the gradient is unscaled before AdamW sees it.
    w.mutable_grad() = g * scaler.scale();
    QVERIFY(scaledOptimizerStep(opt, scaler));
    opt.zeroGrad();
    QVERIFY(torch::allclose(w.detach(), firstAdamWStep(before, g, lr, wd), 1e-6, 1e-7));
    QCOMPARE(opt.state().at("w").step, int64_t(1));
    // Three good steps in a row double the scale.
    for (int i = 0; i < 2; ++i) {
      w.mutable_grad() = g * scaler.scale();
      QVERIFY(scaledOptimizerStep(opt, scaler));
      opt.zeroGrad();
    }
    QCOMPARE(scaler.scale(), 512.0);
    QCOMPARE(scaler.goodSteps(), int64_t(0));

    // Disabled (every precision but fp16-mixed): no scaling, every step applied.
    LossScaler off(false);
    QCOMPARE(off.scale(), 1.0);
    QCOMPARE(off.scaled(torch::tensor(2.0)).item<double>(), 2.0);
  }

  void bf16MixedKeepsFp32WeightsAndLearnsLikeFp32() {
    if (test::fixture("models/opt").empty()) QSKIP("fixture models/opt not found");
    test::TempDir tmp;
    const RunRecord fp32 = Trainer(tinyRun(tmp.path() / "fp32", "fp32")).run();
    const RunRecord mixed = Trainer(tinyRun(tmp.path() / "mixed", "bf16-mixed")).run();
    QCOMPARE(QString::fromStdString(fp32.precision), QString("fp32"));
    QCOMPARE(QString::fromStdString(mixed.precision), QString("bf16-mixed"));
    // The run's record on disk says so too, with every step applied and a peak memory.
    const auto j = readJsonFile(tmp.path() / "mixed" / "run.json");
    QCOMPARE(j["precision"].get<std::string>(), std::string("bf16-mixed"));
    for (const auto& s : j["steps"]) QCOMPARE(s["skipped"].get<bool>(), false);
    QVERIFY(j["totals"]["peak_memory_bytes"].get<int64_t>() > 0);
    // Master weights stay fp32: the saved model is F32 although the matmuls ran in bf16.
    SafetensorsFile saved(tmp.path() / "mixed" / "model" / "model.safetensors");
    for (const auto& name : saved.names()) QCOMPARE(QString::fromStdString(saved.entry(name).dtype), QString("F32"));
    // It learns like fp32: the last epoch's loss within 2% of fp32's, and well below the first.
    const double a = fp32.epochs.back().meanLoss, b = mixed.epochs.back().meanLoss;
    QVERIFY2(std::abs(b - a) / a < 0.02, qPrintable(QString("fp32 %1, bf16-mixed %2").arg(a).arg(b)));
    QVERIFY(b < mixed.epochs.front().meanLoss - 0.5);
    // The steps differ from fp32's (the forward really ran in bf16).
    QVERIFY(fp32.steps[1].loss != mixed.steps[1].loss);
  }

  void badPrecisionSettingsAreRefused() {
    test::TempDir tmp;
    RunConfig c = tinyRun(tmp.path() / "run", "fp8");
    QCOMPARE(QString::fromStdString(test::errorMessage([&] { c.validate(); })),
             QString("precision (--precision): expected auto, fp32, bf16-mixed, fp16-mixed, bf16-true or fp16-true, got 'fp8'"));
    c.precision = "bf16-mixed";
    c.dtype = "bfloat16";
    QCOMPARE(QString::fromStdString(test::errorMessage([&] { c.validate(); })),
             QString("precision bf16-mixed keeps the weights in float32, but dtype (--dtype) is bfloat16; leave --dtype out"));
    c.precision = "auto";
    QCOMPARE(QString::fromStdString(resolvePrecision(c)), QString("bf16-true"));  // --dtype bfloat16 alone: today's bf16 weights
    c.dtype = "float32";
    QCOMPARE(QString::fromStdString(resolvePrecision(c)), QString("fp32"));  // auto on the CPU
#if TORCH_VERSION_MAJOR < 2 || (TORCH_VERSION_MAJOR == 2 && TORCH_VERSION_MINOR < 4)
    c.precision = "fp16-mixed";
    QCOMPARE(QString::fromStdString(test::errorMessage([&] { Trainer(c).run(); })),
             QString("precision fp16-mixed needs a CUDA device here: CPU autocast in LibTorch " TORCH_VERSION " runs bfloat16 only (use bf16-mixed)"));
    QVERIFY(!fs::exists(tmp.path() / "run"));  // refused before the run folder was made
#endif
  }
};

QTEST_GUILESS_MAIN(TestMixedPrecision)
#include "test_mixed_precision.moc"
