// The trainer end to end on the OPT fixture: a short GreenTrainer run writes a record whose
// masks, FLOPs and losses are consistent; frozen tensors do not move; cancel keeps a consistent
// record; bad configurations are refused with clear messages.
#include <QtTest/QtTest>

#include <thread>

#include "core/green/flops_profiler.h"
#include "core/io/checkpoint.h"
#include "core/io/safetensors.h"
#include "core/train/batch_loss.h"
#include "core/train/prepared_run.h"
#include "core/train/run_energy.h"
#include "core/train/trainer.h"
#include "core/util/json_file.h"
#include "test_support.h"

using namespace gt;
namespace fs = std::filesystem;

namespace {

RunConfig tinyRun(const fs::path& out) {
  RunConfig c = test::tinyOptRun(out);
  c.method = "gt";
  c.rho = 0.5;
  c.epochs = 2;
  return c;
}

using test::CancelAfter;

}  // namespace

class TestTrainer : public QObject {
  Q_OBJECT

 private Q_SLOTS:
  void initTestCase() {
    if (test::fixture("models/opt").empty()) QSKIP("fixture models/opt not found");
  }

  void greenTrainerRecordIsConsistent() {
    test::TempDir tmp;
    const RunConfig c = tinyRun(tmp.path() / "run");
    const RunRecord r = Trainer(c).run();
    QCOMPARE(QString::fromStdString(r.status), QString("finished"));
    QCOMPARE(r.steps.size(), size_t(6));  // 10 train rows, batch 4 -> 3 steps x 2 epochs
    QCOMPARE(r.selections.size(), size_t(2));
    QCOMPARE(r.epochs.size(), size_t(2));

    auto model = loadModel(c.model);
    double total = 0, totalFull = 0;
    for (const auto& s : r.steps) {
      QVERIFY(std::isfinite(s.loss) && s.loss > 0);
      const auto sel = std::find_if(r.selections.rbegin(), r.selections.rend(), [&](const auto& x) { return x.step <= s.step; });
      QVERIFY(sel != r.selections.rend());
      // The step's FLOPs are the profile's for its batch shape and the active mask.
      const FlopsProfile p = profileFlops(model->config(), s.batch, s.seq);
      std::vector<bool> mask(p.tensors.size(), false);
      for (const auto& name : sel->selected) mask[size_t(p.indexOf(name))] = true;
      QVERIFY(std::abs(s.flops - p.stepFlops(mask).total()) <= 1e-9 * s.flops);
      QVERIFY(std::abs(s.flopsFull - p.full.total()) <= 1e-9 * s.flopsFull);
      QVERIFY(s.flops <= 0.5 * s.flopsFull * 1.02);  // budget at the selection's shape, other shapes rescale
      total += s.flops;
      totalFull += s.flopsFull;
    }
    QVERIFY(std::abs(r.totalFlops - total) <= 1e-9 * total);
    QVERIFY(std::abs(r.totalFlopsFull - totalFull) <= 1e-9 * totalFull);
    for (const auto& sel : r.selections) {
      QVERIFY(!sel.selected.empty());
      QCOMPARE(sel.importanceRaw.size(), r.tensors.size());
      QVERIFY(sel.predictedFraction <= 0.5 + 1e-9);
      for (size_t i = size_t(sel.cutoff); i < sel.importanceRaw.size(); ++i) QCOMPARE(sel.importanceRaw[i], 0.0);
    }
    QVERIFY(r.epochs[0].evalLoss > 0);

    // A step's whole wall time holds its phases and, at a selection, the importance pass and the DP;
    // an epoch's steps fit inside its clock (which adds the batch building).
    for (const auto& e : r.epochs) {
      double stepsMs = 0;
      for (const auto& s : r.steps) {
        if (s.epoch != e.epoch) continue;
        double inside = s.forwardMs + s.backwardMs + s.optimizerMs;
        for (const auto& sel : r.selections)
          if (sel.step == s.step) inside += sel.importanceMs + sel.selectionMs;
        QVERIFY2(s.stepMs >= inside, ("step " + std::to_string(s.step) + ": step_ms " + std::to_string(s.stepMs) + " < " + std::to_string(inside)).c_str());
        stepsMs += s.stepMs;
      }
      QVERIFY2(stepsMs <= 1000 * e.seconds, ("epoch " + std::to_string(e.epoch)).c_str());
    }

    // Files on disk: the record reads back identically, the CSV has one row per step, the model loads.
    const RunRecord back = RunRecord::load(tmp.path() / "run" / "run.json");
    QCOMPARE(back.toJson().dump(), r.toJson().dump());
    const std::string csv = test::readFile(tmp.path() / "run" / "steps.csv");
    QCOMPARE(std::count(csv.begin(), csv.end(), '\n'), 7L);
    QVERIFY(csv.rfind("step,epoch,loss,lr,flops,flops_full,cumulative_flops", 0) == 0);
    auto saved = loadModel(tmp.path() / "run" / "model");
    QVERIFY(fs::exists(tmp.path() / "run" / "model" / "tokenizer.json"));

    // Tensors never selected are bit-identical to the original; selected ones moved.
    std::set<std::string> ever;
    for (const auto& sel : r.selections) ever.insert(sel.selected.begin(), sel.selected.end());
    auto orig = model->named_parameters(true);
    int moved = 0;
    for (const auto& p : saved->named_parameters(true)) {
      const bool same = torch::equal(p.value(), orig[p.key()]);
      if (!ever.count(p.key())) QVERIFY2(same, p.key().c_str());
      moved += !same;
    }
    QVERIFY(moved > 0);
  }

  // --importance-batches 3: each selection's importance pass runs on the epoch's three batches, and
  // its FLOPs are the profiler's for those shapes (two passes down to the cutoff, each batch).
  void importanceOnSeveralBatchesCountsEachPass() {
    test::TempDir tmp;
    RunConfig c = tinyRun(tmp.path() / "run");
    c.importanceBatches = 3;
    c.saveModel = false;
    const RunRecord r = Trainer(c).run();
    QCOMPARE(QString::fromStdString(r.status), QString("finished"));
    QCOMPARE(r.steps.size(), size_t(6));
    QCOMPARE(r.selections.size(), size_t(2));
    QCOMPARE(r.toJson()["config"]["importance_batches"].get<int64_t>(), int64_t(3));
    auto model = loadModel(c.model);
    double total = 0;
    for (size_t e = 0; e < 2; ++e) {
      const auto& sel = r.selections[e];
      QCOMPARE(sel.step, int64_t(3 * e));
      double expected = 0;
      for (size_t k = 3 * e; k < 3 * e + 3; ++k) {
        const FlopsProfile p = profileFlops(model->config(), r.steps[k].batch, r.steps[k].seq);
        std::vector<bool> evaluated(p.tensors.size(), false);
        for (size_t i = 0; i < size_t(sel.cutoff); ++i) evaluated[i] = true;
        expected += 2 * p.chainFlops(evaluated).total();
      }
      QVERIFY2(std::abs(sel.importanceFlops - expected) <= 1e-9 * expected,
               qPrintable(QString("%1 vs %2").arg(sel.importanceFlops).arg(expected)));
      total += expected;
    }
    QVERIFY(std::abs(r.importanceFlops - total) <= 1e-9 * total);
  }

  // --pad-to-multiple-of 16: every batch is rounded up to 16, 32 or 48 tokens, the padding is
  // masked out of the loss, so Full FT's losses equal the unpadded run's; the FLOPs are the
  // profiler's for the longer shapes.
  void paddedBatchesTrainTheSame() {
    test::TempDir tmp;
    std::string rows;  // one token per byte: rows of 13 to 43 tokens
    for (int i = 0; i < 8; ++i)
      rows += nlohmann::json({{"source", std::string(size_t(2 + 4 * i), char('a' + i))}, {"target", "tool"}, {"split", "train"}}).dump() + "\n";
    rows += nlohmann::json({{"source", "short"}, {"target", "x"}, {"split", "valid"}}).dump() + "\n";
    test::writeFile(tmp.path() / "rows.jsonl", rows);
    RunConfig c = tinyRun(tmp.path() / "plain");
    c.model = test::modelWithoutDropout(c.model, tmp.path() / "model").string();  // padding changes dropout's mask shapes
    c.data = (tmp.path() / "rows.jsonl").string();
    c.method = "full";
    c.epochs = 2;
    c.batchSize = 3;
    c.saveModel = false;
    const RunRecord plain = Trainer(c).run();
    c.padToMultipleOf = 16;
    c.outDir = (tmp.path() / "padded").string();
    const RunRecord padded = Trainer(c).run();
    QCOMPARE(padded.steps.size(), size_t(6));
    QCOMPARE(plain.steps.size(), size_t(6));
    auto model = loadModel(c.model);
    int longer = 0;
    for (size_t i = 0; i < plain.steps.size(); ++i) {
      const auto& p = padded.steps[i];
      QVERIFY2(p.seq % 16 == 0 && p.seq >= plain.steps[i].seq && p.seq < plain.steps[i].seq + 16,
               qPrintable(QString("step %1: seq %2 for %3").arg(i).arg(p.seq).arg(plain.steps[i].seq)));
      longer += p.seq > plain.steps[i].seq;
      QVERIFY2(std::abs(p.loss - plain.steps[i].loss) <= 1e-5 * std::abs(plain.steps[i].loss),
               qPrintable(QString("step %1: %2 vs %3").arg(i).arg(p.loss).arg(plain.steps[i].loss)));
      QVERIFY(std::abs(p.flops - profileFlops(model->config(), p.batch, p.seq).full.total()) <= 1e-9 * p.flops);
    }
    QVERIFY(longer >= 4);
    QCOMPARE(padded.toJson()["config"]["pad_to_multiple_of"].get<int64_t>(), int64_t(16));
  }

  void fullFineTuningCostsFullFlops() {
    test::TempDir tmp;
    RunConfig c = tinyRun(tmp.path() / "full");
    c.method = "full";
    c.epochs = 1;
    c.saveModel = false;
    const RunRecord r = Trainer(c).run();
    QVERIFY(r.selections.empty());
    QCOMPARE(r.totalFlops, r.totalFlopsFull);
    QVERIFY(!fs::exists(tmp.path() / "full" / "model"));
  }

  void cancelKeepsRecordConsistent() {
    test::TempDir tmp;
    RunConfig c = tinyRun(tmp.path() / "cancel");
    c.epochs = 3;
    RunControl control;
    CancelAfter observer(control, 2);
    const RunRecord r = Trainer(c, &observer, &control).run();
    QCOMPARE(QString::fromStdString(r.status), QString("cancelled"));
    QCOMPARE(r.steps.size(), size_t(2));
    const RunRecord back = RunRecord::load(tmp.path() / "cancel" / "run.json");
    QCOMPARE(QString::fromStdString(back.status), QString("cancelled"));
    QCOMPARE(back.steps.size(), size_t(2));
  }

  void rhoChangeTakesEffectAtNextSelection() {
    test::TempDir tmp;
    RunConfig c = tinyRun(tmp.path() / "rho");
    c.saveModel = false;
    RunControl control;
    class SetRho : public RunObserver {
     public:
      explicit SetRho(RunControl& c) : c_(c) {}
      void stepDone(const StepEvent& e) override {
        if (e.step == 0) c_.setRho(0.8);
      }
      RunControl& c_;
    } observer(control);
    const RunRecord r = Trainer(c, &observer, &control).run();
    QCOMPARE(r.selections.size(), size_t(2));
    QCOMPARE(r.selections[0].rho, 0.5);
    QCOMPARE(r.selections[1].rho, 0.8);
    QVERIFY(r.selections[1].predictedFraction > 0.5);
  }

  // The run's energy comes from the counters the trainer reads after a step once a second has passed
  // since the last read: a fake package counter (range 1 J) moves 0.9 -> 0.95 J after step 0 and wraps
  // to 0.05 J after step 1 (the observer then waits a second, so the next step reads it), and moves on
  // to 0.1 J after step 3 (read by the final sample at the latest), so the run used
  // 0.05 + (0.05 + 1 - 0.95) + 0.05 = 0.2 J, in the record and on disk.
  void energyIsSampledAcrossWraps() {
    test::TempDir tmp;
    test::writePowercapZone(tmp.path() / "powercap", "intel-rapl:0", "package-0", 900000, 1000000);
    const auto powercap = tmp.path() / "powercap" / "intel-rapl:0";
    qputenv("GT_POWERCAP_ROOT", QByteArray::fromStdString((tmp.path() / "powercap").string()));
    RunConfig c = tinyRun(tmp.path() / "energy");
    c.saveModel = false;
    class MoveCounter : public RunObserver {
     public:
      explicit MoveCounter(fs::path file) : file_(std::move(file)) {}
      void stepDone(const StepEvent& e) override {
        seen.push_back(e.energyJoules);
        if (e.step == 0) test::writeFile(file_, "950000\n");
        if (e.step == 1) test::writeFile(file_, "50000\n");
        if (e.step == 3) test::writeFile(file_, "100000\n");
        if (e.step <= 1) std::this_thread::sleep_for(EnergyMeter::kSampleInterval);
      }
      fs::path file_;
      std::vector<double> seen;
    } observer(powercap / "energy_uj");
    const RunRecord r = Trainer(c, &observer).run();
    qunsetenv("GT_POWERCAP_ROOT");
    QVERIFY(std::abs(r.energyJoules - 0.2) < 1e-9);
    QCOMPARE(r.energySources.size(), size_t(1));
    QCOMPARE(QString::fromStdString(r.energySources[0].first), QString("RAPL package-0"));
    QVERIFY(std::abs(r.energySources[0].second - 0.2) < 1e-9);
    QCOMPARE(QString::fromStdString(r.energyNote), QString());
    // The steps report the energy so far: nothing before the counter moved, 0.05 J after step 1, 0.15 J
    // after step 2 (the wrap).
    QCOMPARE(observer.seen.size(), size_t(6));
    QCOMPARE(observer.seen[0], 0.0);
    QVERIFY(std::abs(observer.seen[1] - 0.05) < 1e-9);
    QVERIFY(std::abs(observer.seen[2] - 0.15) < 1e-9);
    const auto j = readJsonFile(tmp.path() / "energy" / "run.json");
    QVERIFY(std::abs(j["energy"]["joules"].get<double>() - 0.2) < 1e-9);
    QCOMPARE(QString::fromStdString(j["energy"]["sources"][0]["name"].get<std::string>()), QString("RAPL package-0"));

    // Without counters the record holds no energy and says why.
    qputenv("GT_POWERCAP_ROOT", QByteArray::fromStdString((tmp.path() / "none").string()));
    c.outDir = (tmp.path() / "no-energy").string();
    const RunRecord none = Trainer(c).run();
    qunsetenv("GT_POWERCAP_ROOT");
    QCOMPARE(none.energyJoules, -1.0);
    QVERIFY(none.energySources.empty());
    QCOMPARE(QString::fromStdString(none.energyNote),
             QString::fromStdString("CPU: " + (tmp.path() / "none").string() +
                                    " does not exist (RAPL counters need Linux powercap, usually absent in virtual machines)"));
    const auto k = readJsonFile(tmp.path() / "no-energy" / "run.json");
    QVERIFY(k["energy"]["joules"].is_null());
    QCOMPARE(RunRecord::load(tmp.path() / "no-energy" / "run.json").energyJoules, -1.0);
  }

  // A resumed run adds this session's energy to the earlier sessions', by counter; when an earlier
  // session measured none, the total is unknown and the note says so.
  void resumedRunAddsEnergyBySession() {
    test::TempDir tmp;
    test::writePowercapZone(tmp.path(), "intel-rapl:0", "package-0", 1000000, 262143328850);
    qputenv("GT_POWERCAP_ROOT", QByteArray::fromStdString(tmp.path().string()));
    RunRecord earlier;
    earlier.energyJoules = 5;
    earlier.energySources = {{"RAPL package-0", 4}, {"NVML GPU 00000000:3B:00.0", 1}};
    RunEnergy energy("cpu");
    energy.resumeFrom(earlier);
    test::writeFile(tmp.path() / "intel-rapl:0" / "energy_uj", "3000000\n");  // +2 J
    energy.sample();
    RunRecord now;
    energy.writeTo(now);
    QVERIFY(std::abs(now.energyJoules - 7.0) < 1e-9);
    QCOMPARE(now.energySources.size(), size_t(2));
    QCOMPARE(QString::fromStdString(now.energySources[0].first), QString("RAPL package-0"));
    QVERIFY(std::abs(now.energySources[0].second - 6.0) < 1e-9);
    QCOMPARE(now.energySources[1].second, 1.0);
    QCOMPARE(QString::fromStdString(now.energyNote), QString());

    earlier.energyJoules = -1;
    earlier.energySources.clear();
    RunEnergy unknown("cpu");
    unknown.resumeFrom(earlier);
    qunsetenv("GT_POWERCAP_ROOT");
    QCOMPARE(unknown.soFar(), -1.0);
    unknown.writeTo(now);
    QCOMPARE(now.energyJoules, -1.0);
    QCOMPARE(QString::fromStdString(now.energyNote), QString("an earlier session of this resumed run measured no energy, so the total is unknown"));
  }

  void rejectsBadInput() {
    test::TempDir tmp;
    auto message = [&](const std::function<void(RunConfig&)>& edit) {
      RunConfig c = tinyRun(tmp.path() / "bad");
      edit(c);
      return QString::fromStdString(test::errorMessage([&] { Trainer(c).run(); }));
    };
    QCOMPARE(message([](RunConfig& c) { c.rho = 0; }), QString("rho: expected a value in (0, 1], got 0"));
    QCOMPARE(message([](RunConfig& c) { c.promptTemplate = "{source} r\xe9sum\xe9: {target}"; }),  // Latin-1 bytes
             QString("prompt_template: not valid UTF-8 (a path or text with bytes of another encoding)"));
    QCOMPARE(message([](RunConfig& c) { c.rho = 1.5; }), QString("rho: expected a value in (0, 1], got 1.5"));
    QCOMPARE(message([](RunConfig& c) { c.importanceBatches = 0; }), QString("importance_batches: expected at least 1, got 0"));
    QCOMPARE(message([](RunConfig& c) { c.padToMultipleOf = -2; }),
             QString("pad_to_multiple_of: expected -1 (auto), 0 (none) or a positive multiple, got -2"));
    QVERIFY(message([](RunConfig& c) { c.rho = 0.2; }).contains("is at or below the forward pass's share of full fine-tuning"));
    QCOMPARE(message([](RunConfig& c) { c.model = "/nonexistent/model"; }),
             QString("/nonexistent/model: not a model folder (expected config.json and model.safetensors)"));
    QCOMPARE(message([](RunConfig& c) { c.maxLength = 512; }),
             QString::fromStdString("max_length 512 is longer than the model's 128 learned positions (" +
                                    (test::fixture("models/opt") / "config.json").string() + ")"));
    QCOMPARE(message([](RunConfig& c) { c.data = "/nonexistent/data.jsonl"; }), QString("/nonexistent/data.jsonl: dataset file not found"));
    const auto empty = tmp.path() / "empty.jsonl";
    test::writeFile(empty, "");
    QCOMPARE(message([&](RunConfig& c) { c.data = empty.string(); }), QString::fromStdString(empty.string() + ": empty dataset (no rows in split 'train')"));
    QCOMPARE(message([](RunConfig& c) { c.tokenizer = test::fixture("tokenizers/bytelevel-8k").string(); }),
             QString("tokenizer has 8192 tokens but the model's vocab_size is 512 (tokenizer and model do not belong together)"));
    QCOMPARE(message([](RunConfig& c) {
               c.method = "prefix";
               c.gradientCheckpointing = true;
             }),
             QString("gradient_checkpointing (--gradient-checkpointing): not available with prefix tuning (its virtual tokens reach every "
                     "block as a key/value cache, which checkpointed blocks do not take)"));
    QVERIFY(!fs::exists(tmp.path() / "bad" / "run.json"));  // nothing written for refused runs
  }

  void nanLossFailsWithRecord() {
    test::TempDir tmp;
    RunConfig c = tinyRun(tmp.path() / "nan");
    c.lr = 1e30;  // the first update overflows the weights
    c.method = "full";
    const QString msg = QString::fromStdString(test::errorMessage([&] { Trainer(c).run(); }));
    QVERIFY2(msg.startsWith("step 1 (epoch 0): the loss is ") && msg.endsWith("(NaN or infinite); lower the learning rate or check the data"),
             qPrintable(msg));
    const RunRecord back = RunRecord::load(tmp.path() / "nan" / "run.json");
    QCOMPARE(QString::fromStdString(back.status), QString("failed"));
    QCOMPARE(QString::fromStdString(back.error), msg);
    QVERIFY(!fs::exists(tmp.path() / "nan" / "model"));
  }

  // Fine-tuning learns: over 4 epochs on the 10 training rows the mean loss falls well below the
  // first epoch's (a negated loss or a broken update makes it rise or stall).
  void fineTuningLowersTheLoss_data() {
    QTest::addColumn<QString>("method");
    QTest::addColumn<double>("margin");  // about half the drop seen: rho 0.5 trains a few tensors
    QTest::newRow("full") << QString("full") << 0.7;
    QTest::newRow("gt") << QString("gt") << 0.12;
  }
  void fineTuningLowersTheLoss() {
    QFETCH(QString, method);
    QFETCH(double, margin);
    test::TempDir tmp;
    RunConfig c = tinyRun(tmp.path() / "run");
    c.method = method.toStdString();
    c.epochs = 4;
    c.lr = 3e-3;
    c.saveModel = false;
    const RunRecord r = Trainer(c).run();
    QCOMPARE(r.epochs.size(), size_t(4));
    const double first = r.epochs.front().meanLoss, last = r.epochs.back().meanLoss;
    QVERIFY2(last < first - margin, qPrintable(QString("epoch 1 mean loss %1, epoch 4 %2").arg(first).arg(last)));
    QVERIFY2(r.epochs.back().evalLoss < r.epochs.front().evalLoss, "validation loss did not fall");
  }

  // The learning rate recorded at every step is the schedule's (GREENTRAINER.md §5: linear decay
  // to 0 over all steps without warm-up, or constant).
  void recordedLearningRateFollowsTheSchedule() {
    test::TempDir tmp;
    for (const std::string schedule : {"linear", "constant"}) {
      RunConfig c = tinyRun(tmp.path() / schedule);
      c.method = "full";
      c.epochs = 3;
      c.lr = 3e-4;
      c.schedule = schedule;
      c.saveModel = false;
      const RunRecord r = Trainer(c).run();
      QCOMPARE(r.steps.size(), size_t(9));
      for (size_t k = 0; k < r.steps.size(); ++k) {
        const double expected = schedule == "linear" ? 3e-4 * double(9 - k) / 9.0 : 3e-4;
        QVERIFY2(std::abs(r.steps[k].lr - expected) <= 1e-15, qPrintable(QString("%1 step %2: lr %3, expected %4")
                                                                              .arg(QString::fromStdString(schedule)).arg(k).arg(r.steps[k].lr).arg(expected)));
      }
    }
  }

  // Two micro-batches of 2 accumulated make the same step as one batch of 4: the same weights and
  // the same AdamW moments (so the gradient is the mean over micro-batches, not their sum). Every
  // target has the same token count, so the mean of micro-batch means is the batch mean.
  void gradientAccumulationEqualsALargerBatch() {
    test::TempDir tmp;
    std::string rows;
    const char* sources[] = {"a short one", "a rather longer source text here", "mid length source", "x",
                             "another fairly long source sentence", "tiny", "some words in a row", "last source"};
    const char* targets[] = {"tool a", "lib bb", "app cc", "cli dd", "kit ee", "api ff", "gui gg", "sdk hh"};  // 6 bytes each
    for (int i = 0; i < 8; ++i) rows += std::string("{\"source\": \"") + sources[i] + "\", \"target\": \"" + targets[i] + "\"}\n";
    test::writeFile(tmp.path() / "equal.jsonl", rows);
    auto stopped = [&](const std::string& name, int64_t batch, int64_t accum) {
      RunConfig c = tinyRun(tmp.path() / name);
      c.model = test::modelWithoutDropout(c.model, tmp.path() / "model").string();  // other batch shapes, other dropout masks
      c.data = (tmp.path() / "equal.jsonl").string();
      c.split.clear();
      c.evalSplit.clear();
      c.method = "full";
      c.epochs = 2;
      c.batchSize = batch;
      c.gradAccum = accum;
      RunControl control;
      CancelAfter observer(control, 2);  // both make 2 optimizer steps per epoch
      const RunRecord r = Trainer(c, &observer, &control).run();
      if (r.steps.size() != 2) qFatal("expected 2 steps");
      return tmp.path() / name / "checkpoint";
    };
    const double c_lr = tinyRun("x").lr;
    const auto big = stopped("batch4", 4, 1), accumulated = stopped("accum2x2", 2, 2);
    for (const char* file : {"weights.safetensors", "optimizer.safetensors"}) {
      SafetensorsFile a(big / file), b(accumulated / file);
      QCOMPARE(a.names().size(), b.names().size());
      for (const auto& name : a.names()) {
        if (name.rfind("rng.", 0) == 0) continue;
        const auto x = a.tensor(name), y = b.tensor(name);
        const double scale = x.abs().max().item<double>();
        // Moments are linear in the gradients: equal up to float rounding. Weights pass through
        // Adam's g / (sqrt(v) + eps), which magnifies rounding where a gradient is near 0: 1% of a step.
        // (+1e-10: k_proj.bias's gradient is 0 in exact arithmetic, its moments pure rounding.)
        const double tolerance = std::string(file) == "weights.safetensors" ? 1e-2 * c_lr : 1e-6 * scale + 1e-10;
        QVERIFY2(test::maxAbsDiff(x, y) <= tolerance, (std::string(file) + ": " + name).c_str());
      }
    }
  }

  // AdamW keeps a tensor's moments and step count while it is out of the selection: after a GT
  // run re-selecting every step, each tensor's AdamW step count equals the steps it was trained.
  void adamStateSurvivesReselection() {
    test::TempDir tmp;
    RunConfig c = tinyRun(tmp.path() / "run");
    c.epochs = 3;
    c.reselectEverySteps = 1;
    RunControl control;
    CancelAfter observer(control, 8);
    const RunRecord r = Trainer(c, &observer, &control).run();
    QCOMPARE(r.steps.size(), size_t(8));
    std::map<std::string, int64_t> trained;
    bool reentered = false;
    std::map<std::string, int> lastSeen;
    for (const auto& s : r.steps) {
      const auto sel = std::find_if(r.selections.rbegin(), r.selections.rend(), [&](const auto& x) { return x.step <= s.step; });
      for (const auto& name : sel->selected) {
        ++trained[name];
        if (lastSeen.count(name) && lastSeen[name] < s.step - 1) reentered = true;
        lastSeen[name] = int(s.step);
      }
    }
    QVERIFY2(reentered, "no tensor left the selection and came back; the check would be empty");
    const auto state = nlohmann::json::parse(test::readFile(tmp.path() / "run" / "checkpoint" / "trainer_state.json"));
    std::map<std::string, int64_t> adam = state["adamw_steps"].get<std::map<std::string, int64_t>>();
    QCOMPARE(adam, trained);
  }

  // --gradient-checkpointing trains the same (losses of every step equal, LoRA's dropout included:
  // the recomputation replays the forward's random state) and counts the recomputed forwards.
  void gradientCheckpointingTrainsTheSame_data() {
    QTest::addColumn<QString>("method");
    QTest::newRow("full") << QString("full");
    QTest::newRow("lora with dropout") << QString("lora");
  }
  void gradientCheckpointingTrainsTheSame() {
    QFETCH(QString, method);
    test::TempDir tmp;
    RunConfig c = tinyRun(tmp.path() / "plain");
    c.method = method.toStdString();
    c.loraDropout = 0.2;
    c.saveModel = false;
    const RunRecord plain = Trainer(c).run();
    c.gradientCheckpointing = true;
    c.outDir = (tmp.path() / "checkpointed").string();
    const RunRecord checkpointed = Trainer(c).run();
    QCOMPARE(checkpointed.steps.size(), plain.steps.size());
    for (size_t i = 0; i < plain.steps.size(); ++i)
      QVERIFY2(std::abs(checkpointed.steps[i].loss - plain.steps[i].loss) <= 1e-5 * plain.steps[i].loss,
               qPrintable(QString("step %1: %2 vs %3").arg(i).arg(checkpointed.steps[i].loss).arg(plain.steps[i].loss)));
    QVERIFY(checkpointed.totalFlops > plain.totalFlops);          // the recomputed forwards
    QVERIFY(checkpointed.totalFlopsFull > plain.totalFlopsFull);
    QCOMPARE(checkpointed.config["gradient_checkpointing"].get<bool>(), true);
  }

  // The validation loss is measured in eval mode (no LoRA dropout), as Hugging Face's Trainer does: it
  // equals the loss of the saved model (the adapter merged) on the validation rows, computed here.
  void evaluationLossHasNoDropout() {
    test::TempDir tmp;
    RunConfig c = tinyRun(tmp.path() / "run");
    c.method = "lora";
    c.loraDropout = 0.5;
    c.epochs = 1;
    const RunRecord r = Trainer(c).run();
    RunConfig saved = c;
    saved.model = (tmp.path() / "run" / "model").string();
    const PreparedRun prep = prepareRun(saved);
    prep.model->eval();
    torch::NoGradGuard noGrad;
    double sum = 0;
    int64_t tokens = 0;
    for (const auto& b : prep.batches(prep.eval, c.batchSize, 0, 0, false)) {
      sum += batchLoss(*prep.model, b).item<double>() * double(lossTokens(b));
      tokens += lossTokens(b);
    }
    QVERIFY(tokens > 0);
    const double expected = sum / double(tokens);
    QVERIFY2(std::abs(r.epochs.back().evalLoss - expected) <= 1e-5 * expected,
             qPrintable(QString("recorded %1, eval-mode loss of the saved model %2").arg(r.epochs.back().evalLoss, 0, 'g', 9).arg(expected, 0, 'g', 9)));
  }

  void configRoundTripAndUnknownField() {
    RunConfig c = tinyRun("/tmp/x");
    c.rho = 0.7;
    c.solver = "paper";
    const RunConfig back = RunConfig::fromJson(c.toJson(), "run.json");
    QCOMPARE(back.toJson().dump(), c.toJson().dump());
    QCOMPARE(QString::fromStdString(test::errorMessage([] { RunConfig::fromJson({{"rhoo", 0.5}}, "run.json"); })),
             QString("run.json: unknown field 'rhoo'"));
    QCOMPARE(QString::fromStdString(test::errorMessage([] { RunConfig::fromJson({{"rho", "half"}}, "run.json"); })),
             QString("run.json: field 'rho' has the wrong type (\"half\")"));
  }
};

QTEST_GUILESS_MAIN(TestTrainer)
#include "test_trainer.moc"
