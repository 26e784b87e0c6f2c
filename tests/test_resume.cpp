// Runs that survive interruption (issue 13): the run folder as a transaction (refusals with their
// exact messages, the lock, overwrite, stale temp files), checkpoints and bit-exact resume for
// full, gt, lora and prefix, and a real `greentrainer train` process stopped by SIGTERM and
// killed by SIGKILL at random instants, whose folder must always be consistent and resumable
// to exactly the weights of an uninterrupted run.
#include <QtTest/QtTest>

#include <QProcess>
#include <unistd.h>

#include <csignal>
#include <random>

#include "core/io/checkpoint.h"
#include "core/io/safetensors.h"
#include "core/train/train_checkpoint.h"
#include "core/train/trainer.h"
#include "core/util/file_tree.h"
#include "core/util/run_folder.h"
#include "test_support.h"

using namespace gt;
namespace fs = std::filesystem;

namespace {

RunConfig tinyRun(const fs::path& out, const std::string& method) {
  RunConfig c = test::tinyOptRun(out);
  c.method = method;
  c.rho = 0.6;
  c.epochs = 3;  // 10 rows, batch 4: 3 steps an epoch
  c.maxLength = 100;  // + 20 prefix tokens within OPT's 128 positions
  c.reselectEverySteps = 2;  // selections inside epochs too
  c.checkpointEverySteps = 2;
  c.loraDropout = 0.1;  // the RNG state matters
  c.lisaLayers = 1;      // of the fixture's 2
  c.lisaInterval = 2;
  c.badamInterval = 2;
  c.badamOrder = "random";
  return c;
}

using test::CancelAfter;

// Every tensor of a safetensors file, by name.
std::map<std::string, torch::Tensor> tensorsOf(const fs::path& file) {
  SafetensorsFile f(file);
  std::map<std::string, torch::Tensor> out;
  for (const auto& n : f.names()) out[n] = f.tensor(n).clone();
  return out;
}

// Bit-for-bit equality of two tensor sets.
void compareTensors(const fs::path& a, const fs::path& b) {
  const auto x = tensorsOf(a), y = tensorsOf(b);
  QCOMPARE(x.size(), y.size());
  for (const auto& [name, t] : x) {
    QVERIFY2(y.count(name), name.c_str());
    QVERIFY2(torch::equal(t, y.at(name)), (name + " differs").c_str());
  }
}

void compareRecords(const RunRecord& a, const RunRecord& b) {
  QCOMPARE(a.steps.size(), b.steps.size());
  for (size_t i = 0; i < a.steps.size(); ++i) {
    QCOMPARE(a.steps[i].loss, b.steps[i].loss);  // exactly
    QCOMPARE(a.steps[i].lr, b.steps[i].lr);
    QCOMPARE(a.steps[i].flops, b.steps[i].flops);
  }
  QCOMPARE(a.selections.size(), b.selections.size());
  for (size_t i = 0; i < a.selections.size(); ++i) {
    QCOMPARE(a.selections[i].step, b.selections[i].step);
    QVERIFY(a.selections[i].selected == b.selections[i].selected);
    QVERIFY(a.selections[i].importanceRaw == b.selections[i].importanceRaw);
  }
  QCOMPARE(a.epochs.size(), b.epochs.size());
  for (size_t i = 0; i < a.epochs.size(); ++i) {
    QCOMPARE(a.epochs[i].meanLoss, b.epochs[i].meanLoss);
    QCOMPARE(a.epochs[i].evalLoss, b.epochs[i].evalLoss);
  }
  QCOMPARE(a.totalFlops, b.totalFlops);
}

std::string message(const std::function<void()>& body) { return test::errorMessage(body); }

using Cli = test::CliResult;
Cli cli(const QStringList& args) { return test::runCli(args); }

QStringList cliTrain(const fs::path& out) {
  return {"train", "--model", QString::fromStdString(test::fixture("models/opt").string()), "--tokenizer",
          QString::fromStdString(test::fixture("tokenizers/bytes-only").string()), "--data",
          QString::fromStdString(test::fixture("data/tiny.jsonl").string()), "--split", "train", "--method", "gt", "--rho", "0.6",
          "--epochs", "8", "--batch-size", "2", "--lr", "1e-3", "--max-length", "128", "--reselect-every-steps", "3",
          "--checkpoint-every", "1", "--threads", "1", "--out", QString::fromStdString(out.string())};
}

// Starts `train` into `run`, waits for its second step line and sends `sig`; returns stderr so far.
QString signalAfterStep2(QProcess& p, const fs::path& run, int sig) {
  p.setReadChannel(QProcess::StandardError);
  p.start(GT_CLI_PATH, cliTrain(run));
  QString err;
  while (!err.contains("step 2/") && p.state() != QProcess::NotRunning) {
    p.waitForReadyRead(1000);
    err += QString::fromUtf8(p.readAllStandardError());
  }
  ::kill(pid_t(p.processId()), sig);
  return err;
}

// What a folder may look like after any kill: no record yet, or a record; a finished record
// comes with the model (exactly the reference weights); otherwise a checkpoint or nothing to resume.
void checkConsistent(const fs::path& run, const fs::path& reference, const std::string& context) {
  if (!fs::exists(run / "run.json")) {
    QVERIFY2(!fs::exists(run / "model"), context.c_str());
    return;
  }
  const RunRecord r = RunRecord::load(run / "run.json");  // never half-written
  if (r.status == "finished") {
    QVERIFY2(fs::exists(run / "model" / "config.json"), context.c_str());
    compareTensors(run / "model" / "model.safetensors", reference / "model" / "model.safetensors");
  } else {
    QVERIFY2(r.status == "running", (context + ": status " + r.status).c_str());
    QVERIFY2(!fs::exists(run / "model") || fs::exists(run / "checkpoint"), context.c_str());
  }
}

}  // namespace

class TestResume : public QObject {
  Q_OBJECT

 private Q_SLOTS:
  void initTestCase() { QVERIFY2(!test::fixture("models/opt").empty(), "fixture models/opt not found"); }

  // The POSIX tree walk the run folder uses instead of std::filesystem's recursive iterator: sizes
  // and removal count files, not what links under the named path point to, and a link's target
  // survives the removal.
  void fileTreeDoesNotFollowLinks() {
    test::TempDir tmp;
    const fs::path tree = tmp.path() / "tree", outside = tmp.path() / "outside";
    fs::create_directories(tree / "a" / "b");
    fs::create_directories(outside);
    test::writeFile(tree / "a" / "b" / "deep", "abc");
    test::writeFile(tree / "top", "hello");
    test::writeFile(outside / "kept", "1234567");
    fs::create_directory_symlink(outside, tree / "a" / "folder-link");
    fs::create_symlink(outside / "kept", tree / "file-link");
    QCOMPARE(bytesUnder(tree), uint64_t(8));
    QCOMPARE(bytesUnder(tree / "top"), uint64_t(5));
    QCOMPARE(bytesUnder(tmp.path() / "missing"), uint64_t(0));
    QCOMPARE(bytesUnder(tree / "file-link"), uint64_t(7));  // a named link is followed (weights linked into a cache)
    QCOMPARE(bytesUnder(tree / "a" / "folder-link"), uint64_t(7));

    QCOMPARE(QString::fromStdString(forEachFileUnder(outside / "kept" / "child", [](const fs::path&, uint64_t) {})),
             QString::fromStdString((outside / "kept" / "child").string() + ": Not a directory"));

    fs::create_directory_symlink(outside, tmp.path() / "root-link");
    QCOMPARE(QString::fromStdString(removeTree(tmp.path() / "root-link")), QString());  // the link, not its target
    QVERIFY(!fs::exists(fs::symlink_status(tmp.path() / "root-link")));
    QCOMPARE(bytesUnder(outside), uint64_t(7));
    QCOMPARE(QString::fromStdString(removeTree(tree)), QString());
    QVERIFY(!fs::exists(fs::symlink_status(tree)));
    QCOMPARE(bytesUnder(outside / "kept"), uint64_t(7));
    QCOMPARE(QString::fromStdString(removeTree(tree)), QString());  // already gone: not an error
    QCOMPARE(QString::fromStdString(removeTree(outside / "kept" / "child")),
             QString::fromStdString((outside / "kept" / "child").string() + ": Not a directory"));
    QVERIFY(fs::exists(outside / "kept"));
  }

  void resumeIsBitExact_data() {
    QTest::addColumn<QString>("method");
    QTest::addColumn<int>("stopAfter");
    for (const char* m : {"full", "gt", "lora", "prefix", "lisa", "badam"}) {
      QTest::newRow((std::string(m) + " mid-epoch").c_str()) << QString(m) << 4;
      QTest::newRow((std::string(m) + " epoch end").c_str()) << QString(m) << 6;
    }
    QTest::newRow("gt twice") << QString("gt") << 1;
  }
  void resumeIsBitExact() {
    QFETCH(QString, method);
    QFETCH(int, stopAfter);
    test::TempDir tmp;
    const RunConfig straight = tinyRun(tmp.path() / "straight", method.toStdString());
    const RunRecord a = Trainer(straight).run();
    QCOMPARE(QString::fromStdString(a.status), QString("finished"));
    QVERIFY(!fs::exists(tmp.path() / "straight" / "checkpoint"));  // removed once the record says finished

    const RunConfig first = tinyRun(tmp.path() / "stopped", method.toStdString());
    {
      RunControl control;
      CancelAfter observer(control, stopAfter);
      const RunRecord r = Trainer(first, &observer, &control).run();
      QCOMPARE(QString::fromStdString(r.status), QString("cancelled"));
      QCOMPARE(r.steps.size(), size_t(stopAfter));
      QCOMPARE(r.epochs.size(), size_t(stopAfter / 3));  // no record for a partial epoch
      QVERIFY(fs::exists(tmp.path() / "stopped" / "checkpoint" / "trainer_state.json"));
      QVERIFY(!fs::exists(tmp.path() / "stopped" / "model"));
    }
    if (QTest::currentDataTag() == QString("gt twice")) {  // stopped again after resuming
      RunControl control;
      CancelAfter observer(control, 5);
      const RunRecord r = Trainer(resumableRunConfig(tmp.path() / "stopped"), &observer, &control, RunFolderMode::Resume).run();
      QCOMPARE(QString::fromStdString(r.status), QString("cancelled"));
      QCOMPARE(r.steps.size(), size_t(5));
    }
    const RunConfig again = resumableRunConfig(tmp.path() / "stopped");
    QCOMPARE(QString::fromStdString(again.method), method);
    const RunRecord b = Trainer(again, nullptr, nullptr, RunFolderMode::Resume).run();
    QCOMPARE(QString::fromStdString(b.status), QString("finished"));
    compareRecords(a, b);
    compareRecords(a, RunRecord::load(tmp.path() / "stopped" / "run.json"));
    if (method == "prefix") {
      compareTensors(tmp.path() / "straight" / "prefix" / "prefix_model.safetensors", tmp.path() / "stopped" / "prefix" / "prefix_model.safetensors");
    } else {
      compareTensors(tmp.path() / "straight" / "model" / "model.safetensors", tmp.path() / "stopped" / "model" / "model.safetensors");
    }
    if (method == "lora")
      compareTensors(tmp.path() / "straight" / "adapter" / "adapter_model.safetensors", tmp.path() / "stopped" / "adapter" / "adapter_model.safetensors");
    QCOMPARE(QString::fromStdString(message([&] { resumableRunConfig(tmp.path() / "stopped"); })),
             QString::fromStdString((tmp.path() / "stopped").string() + ": the run has finished; there is nothing to resume"));
  }

  // Stopped while scoring ROUGE after an epoch: nothing partial is recorded, the checkpoint marks
  // the evaluation pending, and the resumed run scores it first — the same record as straight through.
  void stoppedDuringGenerationResumesIt() {
    test::TempDir tmp;
    auto withRouge = [&](const fs::path& out) {
      RunConfig c = tinyRun(out, "gt");
      c.generateSplit = "valid";
      c.generateEveryEpoch = true;
      c.generateBeforeTraining = true;
      c.evalMaxNewTokens = 4;
      c.evalBatchSize = 1;
      return c;
    };
    const RunRecord a = Trainer(withRouge(tmp.path() / "straight")).run();
    QCOMPARE(a.generationEvals.size(), size_t(4));  // before training + 3 epochs
    class StopAtEpochEnd : public RunObserver {
     public:
      explicit StopAtEpochEnd(RunControl& c) : c_(c) {}
      void epochDone(const EpochEvent& e) override {
        if (e.epoch == 1) c_.cancel();
      }
      RunControl& c_;
    };
    RunControl control;
    StopAtEpochEnd observer(control);
    const RunRecord stopped = Trainer(withRouge(tmp.path() / "stopped"), &observer, &control).run();
    QCOMPARE(QString::fromStdString(stopped.status), QString("cancelled"));
    QCOMPARE(stopped.epochs.size(), size_t(2));
    QCOMPARE(stopped.generationEvals.size(), size_t(2));  // before training and epoch 1; epoch 2's was stopped
    const RunRecord b = Trainer(resumableRunConfig(tmp.path() / "stopped"), nullptr, nullptr, RunFolderMode::Resume).run();
    compareRecords(a, b);
    QCOMPARE(b.generationEvals.size(), a.generationEvals.size());
    for (size_t i = 0; i < a.generationEvals.size(); ++i) {
      QCOMPARE(b.generationEvals[i].epoch, a.generationEvals[i].epoch);
      QCOMPARE(b.generationEvals[i].rougeL, a.generationEvals[i].rougeL);
      QCOMPARE(b.generationEvals[i].examples, a.generationEvals[i].examples);
    }
    QCOMPARE(test::readFile(tmp.path() / "stopped" / "predictions.jsonl"), test::readFile(tmp.path() / "straight" / "predictions.jsonl"));
  }

  void runFolderRefusals() {
    test::TempDir tmp;
    const fs::path model = test::fixture("models/opt");
    auto refusal = [&](RunConfig c, RunFolderMode mode = RunFolderMode::New) {
      return QString::fromStdString(message([&] { Trainer(c, nullptr, nullptr, mode).run(); }));
    };
    // The model's own folder, a folder containing it, a folder inside it.
    RunConfig c = tinyRun(model, "full");
    QVERIFY(refusal(c).endsWith("the run folder must not be, contain or lie inside an input folder (" + QString::fromStdString(model.string()) +
                                "); a run would overwrite or mix with it. Choose another output folder"));
    fs::create_directories(tmp.path() / "outer" / "base");
    fs::copy(model, tmp.path() / "outer" / "base", fs::copy_options::recursive);
    c = tinyRun(tmp.path() / "outer", "full");
    c.model = (tmp.path() / "outer" / "base").string();
    QVERIFY(refusal(c).startsWith(QString::fromStdString((tmp.path() / "outer").string() + ": the run folder must not be")));
    QVERIFY(refusal(c, RunFolderMode::Overwrite).contains("must not be, contain or lie inside an input folder"));
    c.outDir = (tmp.path() / "outer" / "base" / "run").string();
    QVERIFY(refusal(c).contains("must not be, contain or lie inside an input folder"));
    QVERIFY(!fs::exists(tmp.path() / "outer" / "base" / "run"));

    // An existing file; a folder that cannot be created; not enough space.
    test::writeFile(tmp.path() / "file", "x");
    QCOMPARE(refusal(tinyRun(tmp.path() / "file", "full")),
             QString::fromStdString((tmp.path() / "file").string() + ": exists and is not a folder; expected a folder for the run"));
    QVERIFY(refusal(tinyRun("/proc/greentrainer-run", "full")).startsWith("/proc/greentrainer-run: cannot create the run folder ("));
    QVERIFY(message([&] { RunFolder(tmp.path() / "space", RunFolderMode::New, {}, uint64_t(1) << 62); }).find(
                " free, the run needs about 4398046511104 MB (model, checkpoint and record)") != std::string::npos);
    QVERIFY(!fs::exists(tmp.path() / "space"));  // a refused run leaves no folder behind

    // Bad settings are refused before the folder is touched.
    RunConfig bad = tinyRun(tmp.path() / "bad", "full");
    bad.generateSplit = "valid";
    bad.evalMaxNewTokens = 100;
    QCOMPARE(refusal(bad), QString("eval_max_new_tokens (--eval-max-new-tokens 100) must be less than max_length (--max-length 100): "
                                   "generation needs room for the prompt"));
    QVERIFY(!fs::exists(tmp.path() / "bad"));
    RunConfig prefix = tinyRun(tmp.path() / "prefix", "prefix");
    prefix.maxLength = 120;
    QCOMPARE(refusal(prefix), QString::fromStdString("max_length 120 + prefix_tokens 20 is longer than the model's 128 learned positions (" +
                                                     (model / "config.json").string() + "); lower --max-length or --prefix-tokens"));
    QVERIFY(!fs::exists(tmp.path() / "prefix"));
  }

  void runFolderHoldsOneRun() {
    test::TempDir tmp;
    const fs::path run = tmp.path() / "run";
    RunConfig lora = tinyRun(run, "lora");
    lora.epochs = 1;
    lora.generateSplit = "valid";
    lora.evalMaxNewTokens = 4;
    Trainer(lora).run();
    QVERIFY(fs::exists(run / "adapter") && fs::exists(run / "predictions.jsonl"));

    // Not empty: refused, and the earlier run is untouched.
    RunConfig full = tinyRun(run, "full");
    full.epochs = 1;
    QCOMPARE(QString::fromStdString(message([&] { Trainer(full).run(); })),
             QString::fromStdString(run.string() + ": the run folder is not empty (adapter, model, predictions.jsonl, run.json, steps.csv); "
                                                   "choose another output folder, overwrite the run in it (--overwrite) or resume it (--resume)"));
    QCOMPARE(QString::fromStdString(RunRecord::load(run / "run.json").config["method"].get<std::string>()), QString("lora"));

    // Overwrite refused by bad input (found after the folder is opened): the earlier run is untouched.
    RunConfig badData = full;
    badData.data = "/nonexistent/data.jsonl";
    QCOMPARE(QString::fromStdString(message([&] { Trainer(badData, nullptr, nullptr, RunFolderMode::Overwrite).run(); })),
             QString("/nonexistent/data.jsonl: dataset file not found"));
    QCOMPARE(QString::fromStdString(RunRecord::load(run / "run.json").config["method"].get<std::string>()), QString("lora"));
    QVERIFY(fs::exists(run / "adapter") && fs::exists(run / "predictions.jsonl"));

    // Overwrite: none of the earlier run's files stay beside the new record.
    const RunRecord r = Trainer(full, nullptr, nullptr, RunFolderMode::Overwrite).run();
    QCOMPARE(QString::fromStdString(r.status), QString("finished"));
    QVERIFY(!fs::exists(run / "adapter"));
    QVERIFY(!fs::exists(run / "predictions.jsonl"));
    QCOMPARE(QString::fromStdString(RunRecord::load(run / "run.json").config["method"].get<std::string>()), QString("full"));
    QVERIFY2(!fs::exists(run / ".lock"), "a finished run leaves no lock file");

    // Files that are not a run's are never removed.
    test::writeFile(run / "notes.txt", "mine");
    QCOMPARE(QString::fromStdString(message([&] { Trainer(full, nullptr, nullptr, RunFolderMode::Overwrite).run(); })),
             QString::fromStdString(run.string() + ": holds files that are not a run's (notes.txt); refusing to overwrite it"));
    QCOMPARE(QString::fromStdString(test::readFile(run / "notes.txt")), QString("mine"));

    // Another holder of the folder is named by its PID.
    fs::remove(run / "notes.txt");
    {
      RunFolder held(run, RunFolderMode::Resume, {}, 0);
      QCOMPARE(QString::fromStdString(message([&] { Trainer(full, nullptr, nullptr, RunFolderMode::Overwrite).run(); })),
               QString::fromStdString(run.string() + ": in use by another run (PID " + std::to_string(::getpid()) +
                                      "); wait for it to finish or choose another output folder"));
      QCOMPARE(QString::fromStdString(test::readFile(run / ".lock")), QString::number(::getpid()) + "\n");
    }
    QVERIFY2(!fs::exists(run / ".lock"), "the holder removes its lock file when it lets go");
    test::writeFile(run / ".lock", "999999\n");  // left by a killed run: no process holds it
    { RunFolder reopened(run, RunFolderMode::Resume, {}, 0); }
    QVERIFY(!fs::exists(run / ".lock"));

    // What a killed save left behind is removed when the folder is next opened.
    test::writeFile(run / "run.json.tmp-123", "{");
    fs::create_directories(run / ".staging-77-model");
    test::writeFile(run / ".staging-77-model" / "model.safetensors", "half");
    { RunFolder reopened(run, RunFolderMode::Resume, {}, 0); }
    QVERIFY(!fs::exists(run / "run.json.tmp-123"));
    QVERIFY(!fs::exists(run / ".staging-77-model"));
    QVERIFY(fs::exists(run / "run.json"));
  }

  void resumeRefusals() {
    test::TempDir tmp;
    QCOMPARE(QString::fromStdString(message([&] { resumableRunConfig(tmp.path() / "none"); })),
             QString::fromStdString((tmp.path() / "none").string() + ": no such run folder to resume"));
    fs::create_directories(tmp.path() / "empty");
    QCOMPARE(QString::fromStdString(message([&] { resumableRunConfig(tmp.path() / "empty"); })),
             QString::fromStdString((tmp.path() / "empty" / "run.json").string() + ": missing; this folder holds no run to resume"));
  }

  // SIGKILL at chosen instants of the folder's writes (GT_TEST_KILL_AT: just before or after the
  // rename that publishes a record, a checkpoint, the steps table or the model): the folder is
  // consistent and the run resumes to exactly the uninterrupted weights.
  void cliKilledWhilePublishing_data() {
    QTest::addColumn<QString>("killAt");
    for (const char* k : {"run.json:before:1", "run.json:after:1", "steps.csv:after:2", "checkpoint:before:1", "checkpoint:after:1",
                          "checkpoint:before:7", "checkpoint:after:7", "run.json:before:9", "model:before:1", "model:after:1"})
      QTest::newRow(k) << QString(k);
  }
  void cliKilledWhilePublishing() {
    QFETCH(QString, killAt);
    test::TempDir tmp;
    const fs::path ref = tmp.path() / "reference", run = tmp.path() / "killed";
    const Cli straight = cli(cliTrain(ref));
    QVERIFY2(straight.code == 0, qPrintable(straight.err));
    QProcess p;
    QProcessEnvironment env = QProcessEnvironment::systemEnvironment();
    env.insert("GT_TEST_KILL_AT", killAt);
    p.setProcessEnvironment(env);
    p.start(GT_CLI_PATH, cliTrain(run));
    QVERIFY(p.waitForFinished(120000));
    QCOMPARE(p.exitStatus(), QProcess::CrashExit);  // the kill point was reached
    checkConsistent(run, ref, killAt.toStdString());
    const bool resumable = fs::exists(run / "checkpoint" / "trainer_state.json");
    const Cli resumed = cli(resumable ? QStringList{"train", "--resume", QString::fromStdString(run.string()), "--threads", "1"}
                                      : cliTrain(run) << "--overwrite");
    QVERIFY2(resumed.code == 0, qPrintable(resumed.err));
    checkConsistent(run, ref, killAt.toStdString() + ", resumed");
    QCOMPARE(QString::fromStdString(RunRecord::load(run / "run.json").status), QString("finished"));
    compareRecords(RunRecord::load(run / "run.json"), RunRecord::load(ref / "run.json"));
    for (const auto& e : fs::directory_iterator(run)) {
      const std::string name = e.path().filename().string();
      QVERIFY2(name.find(".tmp-") == std::string::npos && name.rfind(".staging-", 0) != 0, name.c_str());
    }
  }

  // A real process: SIGTERM writes a checkpoint, exits 143 and says how to resume; SIGKILL at
  // random instants (seeded) never leaves a mixed or half-written folder, and every killed run
  // resumes to exactly the weights of the uninterrupted one.
  void cliSurvivesSignalsAndKills() {
    test::TempDir tmp;
    const fs::path ref = tmp.path() / "reference";
    QElapsedTimer clock;
    clock.start();
    const Cli straight = cli(cliTrain(ref));
    QVERIFY2(straight.code == 0, qPrintable(straight.err));
    const qint64 runMs = clock.elapsed();

    // Usage errors exit 2; a second run into the same folder is refused with exit 1.
    QCOMPARE(cli({"train", "--no-such-flag"}).code, 2);
    const Cli again = cli(cliTrain(ref));
    QCOMPARE(again.code, 1);
    QVERIFY(again.err.contains("the run folder is not empty"));
    const Cli resumeFinished = cli({"train", "--resume", QString::fromStdString(ref.string())});
    QCOMPARE(resumeFinished.code, 1);
    QVERIFY(resumeFinished.err.contains(": the run has finished; there is nothing to resume"));
    const Cli mixed = cli({"train", "--resume", QString::fromStdString(ref.string()), "--lr", "1"});
    QCOMPARE(mixed.code, 1);
    QVERIFY(mixed.err.contains("error: --resume continues the run with its own settings; drop --lr"));

    for (const auto& [sig, code] : {std::pair<int, int>{SIGTERM, 143}, {SIGINT, 130}}) {  // after the second step line
      const fs::path run = tmp.path() / ("signal" + std::to_string(sig));
      QProcess p;
      signalAfterStep2(p, run, sig);
      QVERIFY(p.waitForFinished(60000));
      const QString out = QString::fromUtf8(p.readAllStandardOutput());
      QCOMPARE(p.exitStatus(), QProcess::NormalExit);
      QCOMPARE(p.exitCode(), code);
      QVERIFY2(out.contains("status: cancelled"), qPrintable(out));
      QVERIFY2(out.contains("resume with: greentrainer train --resume " + QString::fromStdString(run.string())), qPrintable(out));
      QCOMPARE(QString::fromStdString(RunRecord::load(run / "run.json").status), QString("cancelled"));
      QCOMPARE(RunRecord::load(run / "checkpoint" / "run.json").computeThreads, int64_t(1));
      if (sig == SIGINT) {  // another thread count is honoured, with a warning that the last bits will differ
        const Cli resumed = cli({"train", "--resume", QString::fromStdString(run.string()), "--threads", "2"});
        QVERIFY2(resumed.code == 0, qPrintable(resumed.err));
        QVERIFY2(resumed.err.contains("resuming on 2 compute threads; the run trained on 1 so far, so it will differ from an uninterrupted "
                                      "run in the last bits (--threads 1 continues it exactly)"),
                 qPrintable(resumed.err));
        QCOMPARE(RunRecord::load(run / "run.json").computeThreads, int64_t(2));
        continue;
      }
      // Without --threads the run keeps the count it trained with (1, where LibTorch's default is
      // the core count), so it continues bit for bit.
      const Cli resumed = cli({"train", "--resume", QString::fromStdString(run.string())});
      QVERIFY2(resumed.code == 0, qPrintable(resumed.err));
      QVERIFY2(!resumed.err.contains("compute threads"), qPrintable(resumed.err));
      QCOMPARE(RunRecord::load(run / "run.json").computeThreads, int64_t(1));
      compareTensors(run / "model" / "model.safetensors", ref / "model" / "model.safetensors");
      compareRecords(RunRecord::load(run / "run.json"), RunRecord::load(ref / "run.json"));
    }

    {  // A crash (here a SIGSEGV from outside) reports the phase and a backtrace, ends with the signal,
       // and leaves the folder as consistent as a SIGKILL does.
      const fs::path run = tmp.path() / "crash";
      QProcess p;
      QString err = signalAfterStep2(p, run, SIGSEGV);
      QVERIFY(p.waitForFinished(60000));
      err += QString::fromUtf8(p.readAllStandardError());
      QCOMPARE(p.exitStatus(), QProcess::CrashExit);
      // The signal came from this test (kill(2)), so the report names the sender, not an instruction.
      QVERIFY2(err.contains("greentrainer: fatal signal 11 (SEGV) while running the command\nsent by process " + QString::number(::getpid()) +
                            ", on the main thread\nbacktrace:\n"),
               qPrintable(err));
      QVERIFY2(err.contains("greentrainer("), qPrintable(err));  // frames of the binary itself
      checkConsistent(run, ref, "SIGSEGV after step 2");
    }

    const int kills = qEnvironmentVariableIntValue("GT_KILL_RUNS") > 0 ? qEnvironmentVariableIntValue("GT_KILL_RUNS") : 20;
    std::mt19937 rng(1234);
    for (int k = 0; k < kills; ++k) {
      const fs::path run = tmp.path() / ("kill" + std::to_string(k));
      const int delayMs = int(rng() % uint32_t(runMs + 200));
      QProcess p;
      p.start(GT_CLI_PATH, cliTrain(run));
      QVERIFY(p.waitForStarted());
      if (!p.waitForFinished(delayMs)) {
        ::kill(pid_t(p.processId()), SIGKILL);
        p.waitForFinished(60000);
      }
      const std::string context = "kill after " + std::to_string(delayMs) + " ms";
      checkConsistent(run, ref, context);
      qInfo("%s: %s", context.c_str(),
            !fs::exists(run / "run.json") ? "no record yet" : ("record " + RunRecord::load(run / "run.json").status + ", " +
                                                                std::to_string(RunRecord::load(run / "run.json").steps.size()) + " steps")
                                                                  .c_str());
      if (fs::exists(run / "run.json") && RunRecord::load(run / "run.json").status != "finished") {
        const bool resumable = fs::exists(run / "checkpoint" / "trainer_state.json");
        const Cli resumed = cli(resumable ? QStringList{"train", "--resume", QString::fromStdString(run.string()), "--threads", "1"}
                                          : cliTrain(run) << "--overwrite");
        QVERIFY2(resumed.code == 0, qPrintable(QString::fromStdString(context) + ": " + resumed.err));
        for (const auto& e : fs::directory_iterator(run)) {
          const std::string name = e.path().filename().string();
          QVERIFY2(name.find(".tmp-") == std::string::npos && name.rfind(".staging-", 0) != 0, (context + ": " + name).c_str());
        }
        checkConsistent(run, ref, context + ", resumed");
        QCOMPARE(QString::fromStdString(RunRecord::load(run / "run.json").status), QString("finished"));
      }
    }
  }
};

QTEST_GUILESS_MAIN(TestResume)
#include "test_resume.moc"
