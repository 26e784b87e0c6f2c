// Pretraining from scratch: the loss falls, checkpoints resume to bit-identical weights, the
// saved model loads, and inputs too small for one block are refused.
#include <QtTest/QtTest>

#include "core/io/checkpoint.h"
#include "core/train/pretrainer.h"
#include "test_support.h"

using namespace gt;
namespace fs = std::filesystem;

namespace {

PretrainConfig tinyConfig(const fs::path& dir) {
  test::writeFile(dir / "config.json", R"({"model_type": "llama", "vocab_size": 260, "hidden_size": 32, "num_hidden_layers": 2,
    "num_attention_heads": 4, "num_key_value_heads": 2, "intermediate_size": 64, "tie_word_embeddings": true,
    "eos_token_id": 256, "bos_token_id": 256})");
  PretrainConfig c;
  c.modelConfig = dir / "config.json";
  c.tokenizer = test::fixture("tokenizers/bytes-only");
  c.data = {test::fixture("data/tiny.jsonl")};
  c.blockSize = 32;
  c.batchSize = 4;
  c.steps = 8;
  c.warmupSteps = 2;
  c.lr = 1e-2;
  c.saveEvery = 4;
  c.seed = 3;
  return c;
}

}  // namespace

class TestPretrainer : public QObject {
  Q_OBJECT

 private Q_SLOTS:
  void lossFallsAndModelLoads() {
    test::TempDir tmp;
    PretrainConfig c = tinyConfig(tmp.path());
    c.steps = 40;
    c.saveEvery = 20;
    c.validData = test::fixture("data/tiny.csv").parent_path() / "tiny.jsonl";
    c.outDir = tmp.path() / "run";
    std::vector<double> losses;
    int checkpoints = 0;
    // A fake RAPL package counter that moves by 2 J after step 10: the run used 2 J by it.
    test::writePowercapZone(tmp.path() / "powercap", "intel-rapl:0", "package-0", 7000000, 262143328850);
    qputenv("GT_POWERCAP_ROOT", QByteArray::fromStdString((tmp.path() / "powercap").string()));
    const auto r = pretrain(c, [&](const PretrainProgress& p) {
      losses.push_back(p.loss);
      checkpoints += p.checkpoint;
      if (p.step == 10) test::writeFile(tmp.path() / "powercap" / "intel-rapl:0" / "energy_uj", "9000000\n");
      return true;
    });
    qunsetenv("GT_POWERCAP_ROOT");
    QVERIFY(std::abs(r.energyJoules - 2.0) < 1e-9);
    QCOMPARE(QString::fromStdString(r.energyNote), QString());
    QCOMPARE(r.steps, int64_t(40));
    QCOMPARE(checkpoints, 2);
    QVERIFY2(losses.front() > 5.0 && losses.front() < 6.0, qPrintable(QString::number(losses.front())));  // ~ln(260) at init
    QVERIFY2(losses.back() < losses.front() - 1.0, qPrintable(QString("%1 -> %2").arg(losses.front()).arg(losses.back())));
    QVERIFY(r.validLoss > 0);
    auto model = loadModel(c.outDir / "model");
    QCOMPARE(model->config().numLayers, int64_t(2));
    QVERIFY(fs::exists(c.outDir / "model" / "tokenizer.json"));
  }

  // bf16-mixed pretraining: the same seeded run as fp32 learns about as much (last loss within 5% of
  // fp32's after 40 steps) with fp32 master weights; an unknown precision is refused by name.
  void bf16MixedPretrainingLearnsLikeFp32() {
    test::TempDir tmp;
    std::map<std::string, double> last;
    for (const std::string precision : {"fp32", "bf16-mixed"}) {
      PretrainConfig c = tinyConfig(tmp.path());
      c.steps = 40;
      c.saveEvery = 40;
      c.precision = precision;
      c.outDir = tmp.path() / precision;
      last[precision] = pretrain(c, {}).finalLoss;
    }
    QVERIFY2(std::abs(last["bf16-mixed"] - last["fp32"]) / last["fp32"] < 0.05,
             qPrintable(QString("fp32 %1, bf16-mixed %2").arg(last["fp32"]).arg(last["bf16-mixed"])));
    QVERIFY(last["fp32"] != last["bf16-mixed"]);  // the forward really ran in bf16
    PretrainConfig c = tinyConfig(tmp.path());
    c.precision = "bf16-true";
    c.outDir = tmp.path() / "bad";
    QCOMPARE(QString::fromStdString(test::errorMessage([&] { pretrain(c, {}); })),
             QString("pretrain --precision: expected fp32, bf16-mixed or fp16-mixed, got 'bf16-true' (pretraining keeps fp32 master weights)"));
  }

  void resumeIsExact() {
    test::TempDir tmp;
    PretrainConfig c = tinyConfig(tmp.path());
    c.outDir = tmp.path() / "straight";
    pretrain(c);
    c.outDir = tmp.path() / "resumed";
    pretrain(c, [](const PretrainProgress& p) { return p.step < 3; });  // stop after step 3 (checkpoint written)
    QVERIFY(fs::exists(c.outDir / "checkpoint" / "optimizer.safetensors"));
    c.resume = true;
    const auto r = pretrain(c);
    QCOMPARE(r.steps, int64_t(8));
    auto a = loadModel(tmp.path() / "straight" / "model"), b = loadModel(tmp.path() / "resumed" / "model");
    auto bp = b->named_parameters(true);
    for (const auto& p : a->named_parameters(true)) QVERIFY2(torch::equal(p.value(), bp[p.key()]), p.key().c_str());
  }

  void refusesTooLittleText() {
    test::TempDir tmp;
    PretrainConfig c = tinyConfig(tmp.path());
    c.blockSize = 100000;
    c.outDir = tmp.path() / "x";
    const QString msg = QString::fromStdString(test::errorMessage([&] { pretrain(c); }));
    QVERIFY2(msg.startsWith("pretrain: the data has ") && msg.endsWith(" tokens, fewer than one block of 100000"), qPrintable(msg));
  }
};

QTEST_GUILESS_MAIN(TestPretrainer)
#include "test_pretrainer.moc"
