// The desktop app driven through its real widgets, offscreen: opening models and datasets
// (good and bad), a 2-epoch GreenTrainer run watched live, cancelling mid-epoch, reopening the
// record, exporting plots/CSV/JSON, the teaching view on a hand-built chain, and
// `greentrainer-studio --screenshot`.
#include <QAction>
#include <QApplication>
#include <QCheckBox>
#include <QComboBox>
#include <QDir>
#include <QDoubleSpinBox>
#include <QElapsedTimer>
#include <QImage>
#include <QLabel>
#include <QLineEdit>
#include <QMessageBox>
#include <QPlainTextEdit>
#include <QProcess>
#include <QPushButton>
#include <QSettings>
#include <QSignalSpy>
#include <QSlider>
#include <QSpinBox>
#include <QStackedWidget>
#include <QStandardItemModel>
#include <QSvgRenderer>
#include <QTableWidget>
#include <QTimer>
#include <QtTest>
#include <fstream>
#include <set>

#include "core/io/tokenizer.h"
#include "core/report/run_record.h"
#include "core/train/resumable_run.h"
#include "core/train/trainer.h"
#include "test_support.h"
#include "ui/backward_pass_view.h"
#include "ui/chain_layers.h"
#include "ui/heatmap_plot.h"
#include "ui/main_window.h"
#include "ui/plot_export.h"
#include "ui/run_status.h"
#include "ui/run_worker.h"
#include "ui/setup_panel.h"
#include "ui/tensor_table.h"
#include "ui/training_curves.h"

using namespace gt;
using gt::ui::MainWindow;
namespace fs = std::filesystem;

namespace {

QString q(const fs::path& p) { return QString::fromStdString(p.string()); }

// The error dialog the window shows (nullptr when none), and closing it.
QMessageBox* errorDialog(MainWindow& w) {
  for (auto* box : w.findChildren<QMessageBox*>("errorDialog"))
    if (box->isVisible()) return box;
  return nullptr;
}
void closeDialog(QMessageBox* box) {
  box->done(0);
  QCoreApplication::sendPostedEvents(nullptr, QEvent::DeferredDelete);
}

// Model + tokenizer + tiny dataset, as a user would pick them, waiting for the checks.
void loadFixture(MainWindow& w) {
  auto* setup = w.setup();
  setup->setTokenizer(q(test::fixture("tokenizers/bytes-only")));
  setup->openModel(q(test::fixture("models/opt")));
  QTRY_VERIFY_WITH_TIMEOUT(setup->model().has_value() && !setup->busy(), 60000);
  QVERIFY(setup->openDataset(q(test::fixture("data/tiny.jsonl"))));
}

void setTraining(MainWindow& w, int epochs, const fs::path& out) {
  auto* s = w.setup();
  s->findChild<QComboBox*>("method")->setCurrentIndex(s->findChild<QComboBox*>("method")->findData("gt"));
  s->findChild<QDoubleSpinBox*>("rho")->setValue(0.5);
  s->findChild<QSpinBox*>("epochs")->setValue(epochs);
  s->findChild<QSpinBox*>("batchSize")->setValue(4);
  s->findChild<QDoubleSpinBox*>("lr")->setValue(0.001);
  s->findChild<QSpinBox*>("maxLength")->setValue(128);
  s->findChild<QLineEdit*>("outDir")->setText(q(out));
}

// Selected (by the heatmap's colour) per column.
std::vector<std::vector<bool>> heatmapMasks(const ui::HeatmapPlot& h) {
  std::vector<std::vector<bool>> masks;
  for (int c = 0; c < h.columns(); ++c) {
    std::vector<bool> m;
    for (int r = 0; r < h.rows(); ++r) m.push_back(ui::HeatmapPlot::isSelectedValue(h.cellValue(c, r)));
    masks.push_back(m);
  }
  return masks;
}

std::vector<std::vector<bool>> recordMasks(const RunRecord& r) {
  std::vector<std::vector<bool>> masks;
  for (const auto& s : r.selections) {
    const std::set<std::string> on(s.selected.begin(), s.selected.end());
    std::vector<bool> m;
    for (const auto& t : r.tensors) m.push_back(on.count(t.name) > 0);
    masks.push_back(m);
  }
  return masks;
}

// Largest gap between ticks of a 5 ms timer on the UI thread, minus the period.
class StallMeter {
 public:
  StallMeter() {
    timer_.setInterval(5);
    QObject::connect(&timer_, &QTimer::timeout, [this] {
      const qint64 now = clock_.nsecsElapsed();
      if (last_ > 0) worst_ = std::max(worst_, double(now - last_) / 1e6 - 5.0);
      last_ = now;
    });
    clock_.start();
    timer_.start();
  }
  double worstMs() const { return worst_; }

 private:
  QTimer timer_;
  QElapsedTimer clock_;
  qint64 last_ = 0;
  double worst_ = 0;
};

std::string readAll(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

}  // namespace

class TestStudio : public QObject {
  Q_OBJECT

 private Q_SLOTS:
  void initTestCase() {
    if (test::fixture("models/opt").empty()) QSKIP("fixture models/opt not found");
  }

  // The views group an encoder-decoder's chain by stack and block (T5's "layer.N" is a sub-layer, not a layer).
  void chainGroupsOfAnEncoderDecoder() {
    std::vector<ChainEntry> chain;
    for (const char* n : {"decoder.final_layer_norm.weight", "decoder.block.1.layer.2.DenseReluDense.wo.weight",
                          "decoder.block.1.layer.0.SelfAttention.q.weight", "decoder.block.0.layer.1.EncDecAttention.k.weight",
                          "encoder.final_layer_norm.weight", "encoder.block.0.layer.0.SelfAttention.v.weight", "shared.weight"})
      chain.push_back({n, {}, 0, 0});
    QStringList labels;
    for (const auto& g : ui::chainGroups(chain)) labels << QString("%1:%2-%3").arg(g.label).arg(g.first).arg(g.last);
    QCOMPARE(labels.join(" | "), QString("output:0-0 | decoder 1:1-2 | decoder 0:3-3 | encoder output:4-4 | encoder 0:5-5 | embeddings:6-6"));
    QCOMPARE(ui::shortTensorName("decoder.block.1.layer.2.DenseReluDense.wo.weight"), QString("layer.2.DenseReluDense.wo.weight"));
    QCOMPARE(ui::layerOfTensor("encoder.block.3.layer.0.SelfAttention.v.weight"), 3);
  }

  // The status bar's running line, worked by hand: ETA = 20 s / 10 steps x 90 steps left.
  void statusLineOfARunningTraining() {
    ui::LiveStatus s;
    s.epoch = 0;
    s.epochs = 2;
    s.done = 10;
    s.total = 100;
    s.elapsedSeconds = 20;
    s.tokensPerSecond = 512.4;
    s.peakMemoryBytes = 1'200'000'000;
    s.energyJoules = 12;
    s.saving = "GT saves 50.1% of Full FT FLOPs";
    QCOMPARE(ui::liveStatusText(s),
             QString("training | epoch 1/2 | step 10/100 | ETA 3:00 | 512 tokens/s | peak 1.20 GB | 12.0 J | GT saves 50.1% of Full FT FLOPs"));
    s.paused = true;
    s.done = 0;
    s.peakMemoryBytes = -1;
    s.energyJoules = -1;
    s.saving.clear();
    QCOMPARE(ui::liveStatusText(s), QString("paused | epoch 1/2 | step 0/100 | ETA - | 512 tokens/s | preparing the first step..."));
    QCOMPARE(ui::formatDuration(3725.4), QString("1:02:05"));
    QCOMPARE(ui::formatDuration(59.6), QString("1:00"));
  }

  // A T5 folder opens as an encoder-decoder: the panel says so and greys out the methods that need
  // a decoder-only model, leaving one of them for GreenTrainer; a decoder-only model enables them again.
  void encoderDecoderModelLimitsTheMethods() {
    test::TempDir tmp;
    if (!test::writeTinyT5(tmp.path() / "t5")) QSKIP("fixture tokenizer sentencepiece-4k not found");
    MainWindow w(false);
    loadFixture(w);
    auto* method = w.setup()->findChild<QComboBox*>("method");
    method->setCurrentIndex(method->findData("lisa"));
    w.setup()->setTokenizer("");
    w.setup()->openModel(q(tmp.path() / "t5"));
    QTRY_VERIFY_WITH_TIMEOUT(w.setup()->model().has_value() && w.setup()->model()->modelType == "t5" && !w.setup()->busy(), 60000);
    const QString info = w.setup()->findChild<QLabel*>("modelInfo")->text();
    QVERIFY2(info.startsWith("t5 (encoder-decoder), ") && info.contains(", 2 + 2 layers, hidden 32, vocab 4096;"), qPrintable(info));
    auto* items = qobject_cast<QStandardItemModel*>(method->model());
    std::set<std::string> enabled;
    for (int i = 0; i < method->count(); ++i)
      if (items->item(i)->isEnabled()) enabled.insert(method->itemData(i).toString().toStdString());
    QCOMPARE(enabled, (std::set<std::string>{"gt", "full", "top2", "lora"}));
    QCOMPARE(method->currentData().toString(), QString("gt"));

    w.setup()->setTokenizer(q(test::fixture("tokenizers/bytes-only")));
    w.setup()->openModel(q(test::fixture("models/opt")));
    QTRY_VERIFY_WITH_TIMEOUT(w.setup()->model()->modelType == "opt" && !w.setup()->busy(), 60000);
    for (int i = 0; i < method->count(); ++i) QVERIFY(items->item(i)->isEnabled());
  }

  void badModelFolderShowsErrorAndChangesNothing() {
    MainWindow w(false);
    loadFixture(w);
    auto* path = w.setup()->findChild<QLineEdit*>("modelPath");
    const QString before = path->text();
    const int64_t parameters = w.setup()->model()->parameters;
    const QString info = w.setup()->findChild<QLabel*>("modelInfo")->text();

    w.setup()->openModel("/nonexistent/model");
    QTRY_VERIFY_WITH_TIMEOUT(errorDialog(w) != nullptr, 30000);
    QCOMPARE(errorDialog(w)->windowTitle(), QString("Cannot open the model"));
    QCOMPARE(errorDialog(w)->text(), QString("/nonexistent/model: not a folder (expected a Hugging Face model folder with config.json)"));
    closeDialog(errorDialog(w));
    QCOMPARE(path->text(), before);
    QCOMPARE(w.setup()->model()->parameters, parameters);
    QTRY_COMPARE(w.setup()->findChild<QLabel*>("modelInfo")->text(), info);

    // A folder whose config.json is malformed: the message names the file.
    test::TempDir tmp;
    test::writeFile(tmp.path() / "config.json", "{\"model_type\": ");
    w.setup()->openModel(q(tmp.path()));
    QTRY_VERIFY_WITH_TIMEOUT(errorDialog(w) != nullptr, 30000);
    QVERIFY2(errorDialog(w)->text().contains(q(tmp.path() / "config.json")), qPrintable(errorDialog(w)->text()));
    closeDialog(errorDialog(w));
    QCOMPARE(path->text(), before);

    // A malformed dataset: error naming file and line; the loaded dataset stays.
    auto* data = w.setup()->findChild<QLineEdit*>("dataPath");
    const QString dataBefore = data->text();
    test::writeFile(tmp.path() / "bad.jsonl", "{\"source\": \"a\", \"target\": \"b\"}\n{not json\n");
    QVERIFY(!w.setup()->openDataset(q(tmp.path() / "bad.jsonl")));
    QVERIFY(errorDialog(w) != nullptr);
    QVERIFY2(errorDialog(w)->text().startsWith(q(tmp.path() / "bad.jsonl") + ":2: malformed JSON"), qPrintable(errorDialog(w)->text()));
    closeDialog(errorDialog(w));
    QCOMPARE(data->text(), dataBefore);
    // The window is still usable: a preview still works.
    QSignalSpy previewed(w.setup(), &ui::SetupPanel::selectionPreviewed);
    w.setup()->previewSelection();
    QVERIFY2(previewed.wait(60000), errorDialog(w) ? qPrintable(errorDialog(w)->text()) : "no error dialog");
    // The model has 128 learned positions: the panel's max length was clamped to them.
    QCOMPARE(w.setup()->findChild<QSpinBox*>("maxLength")->value(), 128);
  }

  void datasetPreviewShowsFieldsAndTokenisedRows() {
    MainWindow w(false);
    loadFixture(w);
    auto* s = w.setup();
    QCOMPARE(s->findChild<QComboBox*>("sourceField")->count(), 3);  // source, target, split (file order)
    QCOMPARE(s->findChild<QComboBox*>("sourceField")->itemText(2), QString("split"));
    QCOMPARE(s->findChild<QComboBox*>("sourceField")->currentText(), QString("source"));
    QCOMPARE(s->findChild<QComboBox*>("targetField")->currentText(), QString("target"));
    QCOMPARE(s->findChild<QComboBox*>("trainSplit")->currentText(), QString("train"));
    QCOMPARE(s->findChild<QComboBox*>("evalSplit")->currentText(), QString("valid"));
    auto* rows = s->findChild<QTableWidget*>("dataRows");
    QCOMPARE(rows->rowCount(), 8);  // the first 8 of the 10 train rows
    // Token counts as the tokenizer gives them: prompt = "<source> TL;DR: ", target = target + EOS.
    // The model has 128 learned positions, so max length was clamped to 128: row 0's source is
    // cut to fit (marked), row 1 fits whole.
    QCOMPARE(s->findChild<QSpinBox*>("maxLength")->value(), 128);
    const auto tok = loadTokenizer(test::fixture("tokenizers/bytes-only"));
    const auto data = test::readJsonl(test::fixture("data/tiny.jsonl"));
    for (int row : {0, 1}) {
      const auto prompt = tok->encode(data[size_t(row)]["source"].get<std::string>() + " TL;DR: ");
      const auto target = tok->encode(data[size_t(row)]["target"].get<std::string>());
      const int64_t fits = 128 - int64_t(target.size()) - 1;
      QCOMPARE(rows->item(row, 3)->text().toLongLong(), int64_t(target.size()) + 1);
      QCOMPARE(rows->item(row, 2)->text().toLongLong(), std::min<int64_t>(int64_t(prompt.size()), fits));
      QCOMPARE(rows->item(row, 4)->text().startsWith("[source cut to fit]"), int64_t(prompt.size()) > fits);
    }
    QVERIFY(rows->item(1, 4)->text().startsWith(QString::fromStdString(tok->idToToken(tok->encode("l")[0]))));
    QVERIFY2(!rows->item(1, 4)->text().startsWith("[source cut"), "row 1 fits whole");
    // A template without {target} is reported inline and refused at start.
    auto* tmpl = s->findChild<QLineEdit*>("promptTemplate");
    tmpl->setText("{source} summary:");
    Q_EMIT tmpl->editingFinished();
    QCOMPARE(s->findChild<QLabel*>("dataProblem")->text(), QString("prompt_template: expected {source} followed by {target}, got '{source} summary:'"));
    QVERIFY(!w.startRun());
    QVERIFY(errorDialog(w) != nullptr);
    QCOMPARE(errorDialog(w)->text(), QString("dataset: prompt_template: expected {source} followed by {target}, got '{source} summary:'"));
    closeDialog(errorDialog(w));
    QVERIFY(!w.running());

    // rho: slider and spin box move together; too small a rho says why.
    auto* rho = s->findChild<QDoubleSpinBox*>("rho");
    rho->setValue(0.35);
    QCOMPARE(s->findChild<QSlider*>("rhoSlider")->value(), 35);
    s->findChild<QSlider*>("rhoSlider")->setValue(70);
    QCOMPARE(rho->value(), 0.70);
    // The OPT fixture at the panel's shape, uniform importance (reference: the FLOPs chain of
    // test_flops_profiler, which is checked against LibTorch's profiler).
    QCOMPARE(s->rhoSummary(), QString("Allows up to 22/36 tensors at 67.9% of Full FT's FLOPs per step (Preview selection ranks them by importance)."));
    rho->setValue(0.05);
    QCOMPARE(s->rhoSummary(), QString("rho 0.0500 is at or below the forward pass's share of full fine-tuning (0.3378): no backpropagation fits; "
                                      "choose rho above it"));
  }

  void greenTrainerRunIsShownLiveAndMatchesTheRecord() {
    test::TempDir tmp;
    MainWindow w(false);
    loadFixture(w);
    setTraining(w, 2, tmp.path() / "run");

    // The preview uses the run's first batch, so its selection is the run's first selection.
    QSignalSpy previewed(w.setup(), &ui::SetupPanel::selectionPreviewed);
    w.setup()->previewSelection();
    QVERIFY(previewed.wait(60000));
    const RunRecord preview = w.setup()->previewRecord();
    QCOMPARE(int(preview.selections.size()), 1);
    QCOMPARE(w.heatmap()->columns(), 0);  // drawn on the next redraw tick
    QTRY_COMPARE(w.heatmap()->columns(), 1);

    // Heatmap as drawn live at the end of each epoch (queued after the window's own handler).
    std::vector<std::vector<std::vector<bool>>> live;
    std::vector<StepRecord> liveSteps;
    connect(w.worker(), &ui::RunWorker::epochDone, this, [&] {
      live.push_back(recordMasks(w.shownRecord()));
      liveSteps = w.shownRecord().steps;
    });
    QSignalSpy finished(w.worker(), &ui::RunWorker::runFinished);
    QSignalSpy selections(w.worker(), &ui::RunWorker::selectionMade);
    QSignalSpy steps(w.worker(), &ui::RunWorker::stepDone);
    StallMeter meter;
    QVERIFY(w.startRun());
    QVERIFY(w.running());
    QVERIFY(!w.setup()->findChild<QComboBox*>("method")->isEnabled());
    QVERIFY(w.setup()->findChild<QDoubleSpinBox*>("rho")->isEnabled());  // rho stays live
    QVERIFY(finished.wait(300000));
    QTRY_VERIFY(!w.running());
    qInfo("UI thread: largest event-loop stall during the run %.1f ms (%d steps)", meter.worstMs(), int(steps.size()));
    // Training runs on the worker thread: the UI thread only draws (a threading property, with a
    // generous bound for a loaded 2-core machine).
    QVERIFY2(meter.worstMs() < 250, qPrintable(QString("the UI thread stalled %1 ms").arg(meter.worstMs())));

    const RunRecord disk = RunRecord::load(tmp.path() / "run" / "run.json");
    QCOMPARE(QString::fromStdString(disk.status), QString("finished"));
    QCOMPARE(int(disk.selections.size()), 2);
    QCOMPARE(selections.size(), 2);
    QCOMPARE(steps.size(), int(disk.steps.size()));
    QCOMPARE(recordMasks(preview).front(), recordMasks(disk).front());
    // Built live from the events, the record's masks equal the trainer's file.
    QCOMPARE(int(live.size()), 2);
    QCOMPARE(live.back(), recordMasks(disk));
    // So are its steps' columns, timings included: what Export CSV writes mid-run is the file's.
    QCOMPARE(liveSteps.size(), disk.steps.size());
    for (size_t i = 0; i < disk.steps.size(); ++i) {
      const StepRecord &shown = liveSteps[i], &file = disk.steps[i];
      QCOMPARE(shown.step, file.step);
      QCOMPARE(shown.tokens, file.tokens);
      QCOMPARE(shown.batch, file.batch);
      QCOMPARE(shown.seq, file.seq);
      QVERIFY(file.forwardMs > 0 && file.backwardMs > 0 && file.optimizerMs > 0 && file.stepMs > 0);
      QCOMPARE(shown.forwardMs, file.forwardMs);
      QCOMPARE(shown.backwardMs, file.backwardMs);
      QCOMPARE(shown.optimizerMs, file.optimizerMs);
      QCOMPARE(shown.stepMs, file.stepMs);
      QCOMPARE(shown.skipped, file.skipped);
    }
    // The views: one heatmap column per selection, one row per tensor, cells = the masks.
    QCOMPARE(w.heatmap()->columns(), int(disk.selections.size()));
    QCOMPARE(w.heatmap()->rows(), int(disk.tensors.size()));
    QCOMPARE(heatmapMasks(*w.heatmap()), recordMasks(disk));
    QCOMPARE(w.lossPlot()->graph(0)->dataCount(), int(disk.steps.size()));
    QCOMPARE(w.tensorTable()->rowCount(), int(disk.tensors.size()));
    QVERIFY(w.flopsPlot()->savingText().startsWith("saved "));
    QVERIFY(w.logView()->toPlainText().contains("selection at step 0:"));  // the engine's log reached the pane
    QVERIFY(w.statusText()->text().startsWith("run finished: GT rho 0.50, 6 steps, 2 selections; saved "));

    // Reopened in a fresh window, the record looks the same.
    MainWindow again(false);
    QVERIFY(again.openRunRecord(q(tmp.path() / "run" / "run.json")));
    QCOMPARE(again.heatmap()->columns(), 2);
    QCOMPARE(heatmapMasks(*again.heatmap()), recordMasks(disk));
    QCOMPARE(again.heatmap()->cellDescription(0, 0).section('\n', 0, 0), QString::fromStdString(disk.tensors[0].name));
    // A record that measured its energy shows it at the end of the status line (1100 J: 1.10 kJ).
    nlohmann::json measured = nlohmann::json::parse(test::readFile(tmp.path() / "run" / "run.json"));
    measured["energy"] = {{"joules", 1100.0}, {"sources", nlohmann::json::array({{{"name", "RAPL package-0"}, {"joules", 1100.0}}})}, {"note", ""}};
    fs::create_directories(tmp.path() / "measured");
    test::writeFile(tmp.path() / "measured" / "run.json", measured.dump());
    MainWindow withEnergy(false);
    QVERIFY(withEnergy.openRunRecord(q(tmp.path() / "measured" / "run.json")));
    QVERIFY2(withEnergy.statusText()->text().endsWith("; energy 1.10 kJ"), qPrintable(withEnergy.statusText()->text()));
    QCOMPARE(again.statusText()->text().contains("; energy "), disk.energyJoules >= 0);  // not measured (no counters): nothing shown
    // Overlay a second run: its smoothed loss joins the loss plot.
    QVERIFY(again.overlayRunRecord(q(tmp.path() / "run" / "run.json")));
    QCOMPARE(again.lossPlot()->graph(again.lossPlot()->graphCount() - 1)->name(), QString("GT rho 0.50 (smoothed, overlay)"));

    // A malformed record: error, the shown run stays.
    test::writeFile(tmp.path() / "bad.json", "{\"format\": 3}");
    QVERIFY(!again.openRunRecord(q(tmp.path() / "bad.json")));
    QVERIFY(errorDialog(again) != nullptr);
    closeDialog(errorDialog(again));
    QCOMPARE(again.heatmap()->columns(), 2);
  }

  // Stop a run, start again into the same folder: the window asks, Resume continues the run from
  // its checkpoint, the views replay the earlier steps, and the final record is exactly that of
  // an uninterrupted run with the same settings.
  void resumeAnInterruptedRun() {
    test::TempDir tmp;
    MainWindow w(false);
    loadFixture(w);
    setTraining(w, 2, tmp.path() / "stopped");
    const auto stopAtSecondStep = connect(
        w.worker(), &ui::RunWorker::stepDone, &w,
        [&](const gt::StepEvent& e) {
          if (e.step == 1) w.worker()->stop();
        },
        Qt::DirectConnection);
    QSignalSpy finished(w.worker(), &ui::RunWorker::runFinished);
    QVERIFY(w.startRun());
    QVERIFY(finished.wait(300000));
    QTRY_VERIFY(!w.running());
    disconnect(stopAtSecondStep);
    QCOMPARE(QString::fromStdString(RunRecord::load(tmp.path() / "stopped" / "run.json").status), QString("cancelled"));
    QCOMPARE(w.resumableRunDir(), q(tmp.path() / "stopped"));
    QVERIFY(w.logView()->toPlainText().contains("a checkpoint was written; Run > Resume interrupted run (Ctrl+Shift+R) continues the run"));

    // Start again into the same folder: the question, with Replace and Resume.
    QVERIFY(!w.startRun());
    auto* box = w.findChild<QMessageBox*>("occupiedFolderDialog");
    QVERIFY(box != nullptr);
    QCOMPARE(box->text(), q(tmp.path() / "stopped") + " holds a cancelled run (2 steps).\nReplace it with the new run, resume it from its "
                                                      "checkpoint, or choose another output folder?");
    QVERIFY(box->findChild<QPushButton*>("replaceRun") != nullptr);
    const RunRecord stopped = RunRecord::load(tmp.path() / "stopped" / "run.json");
    int64_t shownAtFirstLiveStep = -1;
    std::vector<StepRecord> shownAfterReplay;
    connect(w.worker(), &ui::RunWorker::stepDone, &w, [&](const gt::StepEvent& e) {
      if (e.step == 2) {
        shownAtFirstLiveStep = int64_t(w.shownRecord().steps.size());
        shownAfterReplay = w.shownRecord().steps;
      }
    });
    // Resume shows the run's settings in the setup panel, which re-inspects the model in the background;
    // building a model draws from LibTorch's global generator, so the run may only start once that is
    // done (before, the resumed run's dropout masks, and with them its losses, depended on timing).
    box->findChild<QPushButton*>("resumeRun")->click();
    QVERIFY(w.running());
    QVERIFY(!w.setup()->busy());
    QVERIFY(finished.wait(300000));
    QTRY_VERIFY(!w.running());
    QCOMPARE(shownAtFirstLiveStep, int64_t(3));  // two replayed steps + the first new one
    for (size_t i = 0; i < 2; ++i) {  // the replayed steps keep the timings they were recorded with
      QVERIFY(stopped.steps[i].stepMs > 0);
      QCOMPARE(shownAfterReplay[i].stepMs, stopped.steps[i].stepMs);
      QCOMPARE(shownAfterReplay[i].forwardMs, stopped.steps[i].forwardMs);
      QCOMPARE(shownAfterReplay[i].seq, stopped.steps[i].seq);
    }
    const RunRecord resumed = RunRecord::load(tmp.path() / "stopped" / "run.json");
    QCOMPARE(QString::fromStdString(resumed.status), QString("finished"));
    QCOMPARE(heatmapMasks(*w.heatmap()), recordMasks(resumed));
    QVERIFY(w.resumableRunDir().isEmpty());

    RunConfig straight = RunConfig::fromJson(resumed.config, "record");
    straight.outDir = (tmp.path() / "straight").string();
    const RunRecord reference = Trainer(straight).run();
    QCOMPARE(resumed.steps.size(), reference.steps.size());
    for (size_t i = 0; i < resumed.steps.size(); ++i) QCOMPARE(resumed.steps[i].loss, reference.steps[i].loss);
    QCOMPARE(recordMasks(resumed), recordMasks(reference));
    QCOMPARE(test::readFile(tmp.path() / "stopped" / "model" / "model.safetensors"),
             test::readFile(tmp.path() / "straight" / "model" / "model.safetensors"));
  }

  void cancelMidEpochLeavesTheAppUsable() {
    test::TempDir tmp;
    MainWindow w(false);
    loadFixture(w);
    setTraining(w, 3, tmp.path() / "cancel");
    // Stop right after the first step, on the worker thread (as if the click landed then): a
    // queued handler could arrive after the epoch's 3 steps on a loaded machine.
    const auto stopAtFirstStep = connect(
        w.worker(), &ui::RunWorker::stepDone, &w,
        [&](const gt::StepEvent& e) {
          if (e.step == 0) w.worker()->stop();
        },
        Qt::DirectConnection);
    QSignalSpy finished(w.worker(), &ui::RunWorker::runFinished);
    QVERIFY(w.startRun());
    QVERIFY(finished.wait(300000));
    QTRY_VERIFY(!w.running());
    const RunRecord disk = RunRecord::load(tmp.path() / "cancel" / "run.json");
    QCOMPARE(QString::fromStdString(disk.status), QString("cancelled"));
    QCOMPARE(int(disk.steps.size()), 1);  // stopped inside epoch 1 (3 steps)
    QCOMPARE(w.shownRecord().steps.size(), disk.steps.size());
    QCOMPARE(heatmapMasks(*w.heatmap()), recordMasks(disk));
    QVERIFY(w.statusText()->text().startsWith("run cancelled: "));
    // Usable: controls unlocked, and a new run goes to the end.
    QVERIFY(w.setup()->findChild<QComboBox*>("method")->isEnabled());
    disconnect(stopAtFirstStep);
    setTraining(w, 1, tmp.path() / "after");
    QVERIFY(w.startRun());
    QVERIFY(finished.wait(300000));
    QCOMPARE(QString::fromStdString(RunRecord::load(tmp.path() / "after" / "run.json").status), QString("finished"));
  }

  void pauseResumeAndRhoDuringARun() {
    test::TempDir tmp;
    MainWindow w(false);
    loadFixture(w);
    setTraining(w, 2, tmp.path() / "rho");
    // After the first step: pause (requested on the worker thread so no further step starts),
    // then the window's pause and a new rho (it applies at epoch 2's selection).
    connect(
        w.worker(), &ui::RunWorker::stepDone, &w,
        [&](const gt::StepEvent& e) {
          if (e.step == 0) w.worker()->setPaused(true);
        },
        Qt::DirectConnection);
    connect(w.worker(), &ui::RunWorker::stepDone, &w, [&](const gt::StepEvent& e) {
      if (e.step != 0) return;
      w.setPaused(true);
      w.setup()->findChild<QDoubleSpinBox*>("rho")->setValue(0.7);
    });
    QSignalSpy finished(w.worker(), &ui::RunWorker::runFinished);
    QSignalSpy steps(w.worker(), &ui::RunWorker::stepDone);
    QVERIFY(w.startRun());
    QTRY_VERIFY_WITH_TIMEOUT(steps.size() >= 1, 60000);
    QTest::qWait(1500);
    QCOMPARE(steps.size(), 1);
    QVERIFY(w.running());
    QTRY_VERIFY(w.statusText()->text().startsWith("paused | epoch 1/2"));
    w.setPaused(false);
    QVERIFY(finished.wait(300000));
    const RunRecord disk = RunRecord::load(tmp.path() / "rho" / "run.json");
    QCOMPARE(QString::fromStdString(disk.status), QString("finished"));
    QCOMPARE(int(disk.steps.size()), 6);
    QCOMPARE(disk.selections[0].rho, 0.5);
    QCOMPARE(disk.selections[1].rho, 0.7);
    QVERIFY(w.logView()->toPlainText().contains("rho changed from 0.500000 to 0.700000 at step 3"));
    // Both curves mark epoch 2 and the rho change (a line and a label each).
    QCOMPARE(w.lossPlot()->itemCount(), 4);
    QCOMPARE(w.flopsPlot()->itemCount(), 4);
  }

  void firstStartLoadsTheDemoAndRemembersTheSetup() {
    test::TempDir tmp;
    QSettings::setDefaultFormat(QSettings::IniFormat);
    QSettings::setPath(QSettings::IniFormat, QSettings::UserScope, q(tmp.path()));
    QCoreApplication::setOrganizationName("GreenTrainerStudioTest");
    QCoreApplication::setApplicationName("test_studio");
    {
      MainWindow w(true);
      QTRY_VERIFY_WITH_TIMEOUT(w.setup()->model().has_value() && !w.setup()->busy(), 60000);
      const RunConfig c = w.setup()->config();
      QVERIFY2(QDir::cleanPath(QString::fromStdString(c.model)).endsWith("resources/demo/model"), c.model.c_str());
      QVERIFY(QString::fromStdString(c.data).endsWith("resources/demo/debian-descriptions.jsonl"));
      QCOMPARE(QString::fromStdString(c.split), QString("train"));
      QCOMPARE(c.rho, 0.5);
      QCOMPARE(w.setup()->model()->modelType, std::string("llama"));
      // Open another dataset: remembered as recent; the setup saved to JSON reads back.
      QVERIFY(w.setup()->openDataset(q(test::fixture("data/tiny.jsonl"))));
      QCOMPARE(QSettings().value("recentData").toStringList().value(0), q(test::fixture("data/tiny.jsonl")));
      QVERIFY(w.saveSetup(q(tmp.path() / "setup.json")));
      const RunConfig saved = RunConfig::fromJson(nlohmann::json::parse(test::readFile(tmp.path() / "setup.json")), "setup.json");
      QCOMPARE(saved.toJson().dump(), w.setup()->config().toJson().dump());
      w.close();
    }
    // The next start restores the last setup instead of the demo.
    {
      MainWindow again(true);
      QCOMPARE(again.setup()->findChild<QLineEdit*>("dataPath")->text(), q(test::fixture("data/tiny.jsonl")));
      QTRY_VERIFY_WITH_TIMEOUT(again.setup()->model().has_value() && !again.setup()->busy(), 60000);
    }
    // The last run was interrupted: the next start shows it, ready to resume; a finished one is not offered.
    RunConfig c = test::tinyOptRun(tmp.path() / "interrupted");
    c.method = "full";
    c.epochs = 2;
    RunControl control;
    test::CancelAfter stop(control, 1);
    QCOMPARE(QString::fromStdString(Trainer(c, &stop, &control).run().status), QString("cancelled"));
    QSettings().setValue("lastRunDir", q(tmp.path() / "interrupted"));
    {
      MainWindow third(true);
      QCOMPARE(QString::fromStdString(third.shownRecord().status), QString("cancelled"));
      QCOMPARE(third.resumableRunDir(), q(tmp.path() / "interrupted"));
      QVERIFY(third.logView()->toPlainText().contains("this run was interrupted after 1 steps"));
    }
    QVERIFY(Trainer(resumableRunConfig(tmp.path() / "interrupted"), nullptr, nullptr, RunFolderMode::Resume).run().status == "finished");
    MainWindow fourth(true);
    QVERIFY(fourth.resumableRunDir().isEmpty());
    QVERIFY(!fourth.logView()->toPlainText().contains("this run was interrupted"));
  }

  void fixedMethodsRunWithoutSelections() {
    // LoRA trains adapters only: no selections, FLOPs below Full FT's, the teaching view says why it is empty.
    test::TempDir tmp;
    MainWindow w(false);
    loadFixture(w);
    setTraining(w, 1, tmp.path() / "lora");
    auto* method = w.setup()->findChild<QComboBox*>("method");
    method->setCurrentIndex(method->findData("lora"));
    QVERIFY(!w.setup()->findChild<QDoubleSpinBox*>("rho")->isEnabled());
    // LoRA's own options, as a user sets them on its page.
    w.setup()->findChild<QSpinBox*>("loraRank")->setValue(4);
    w.setup()->findChild<QDoubleSpinBox*>("loraAlpha")->setValue(8);
    w.setup()->findChild<QDoubleSpinBox*>("loraDropout")->setValue(0);
    // ROUGE on the 2 valid rows before and after training.
    auto* rouge = w.setup()->findChild<QComboBox*>("rougeSplit");
    rouge->setCurrentIndex(rouge->findData("valid"));
    w.setup()->findChild<QCheckBox*>("rougeBefore")->setChecked(true);
    QSignalSpy finished(w.worker(), &ui::RunWorker::runFinished);
    QVERIFY(w.startRun());
    QVERIFY(finished.wait(300000));
    const RunRecord disk = RunRecord::load(tmp.path() / "lora" / "run.json");
    QCOMPARE(QString::fromStdString(disk.status), QString("finished"));
    QVERIFY(disk.selections.empty());
    QCOMPARE(w.heatmap()->columns(), 0);
    QCOMPARE(w.heatmap()->rows(), int(disk.tensors.size()));
    QCOMPARE(w.lossPlot()->graph(0)->dataCount(), int(disk.steps.size()));
    QVERIFY(w.flopsPlot()->savingText().startsWith("saved "));
    QCOMPARE(w.backwardView()->summaryText(),
             QString("This run (lora) trains a fixed set of parameters and makes no selections; this view explains GreenTrainer's selections."));
    QVERIFY(fs::exists(tmp.path() / "lora" / "adapter" / "adapter_model.safetensors"));
    // The options reached the run: the record, PEFT's adapter_config.json and the adapters' shapes say rank 4, alpha 8.
    QCOMPARE(disk.config["lora_rank"].get<int64_t>(), int64_t(4));
    const auto adapterConfig = nlohmann::json::parse(readAll(tmp.path() / "lora" / "adapter" / "adapter_config.json"));
    QCOMPARE(adapterConfig["r"].get<int64_t>(), int64_t(4));
    QCOMPARE(adapterConfig["lora_alpha"].get<double>(), 8.0);
    QCOMPARE(adapterConfig["lora_dropout"].get<double>(), 0.0);
    const auto adapterHeader = readAll(tmp.path() / "lora" / "adapter" / "adapter_model.safetensors");
    const uint64_t headerLength = *reinterpret_cast<const uint64_t*>(adapterHeader.data());
    const auto tensors = nlohmann::json::parse(adapterHeader.substr(8, headerLength));
    int loraA = 0;
    for (const auto& [name, entry] : tensors.items())
      if (name.find("lora_A") != std::string::npos) {
        QCOMPARE(entry["shape"][0].get<int64_t>(), int64_t(4));
        ++loraA;
      }
    QCOMPARE(loraA, 4);  // q_proj and v_proj of the fixture's 2 layers
    QCOMPARE(int(disk.generationEvals.size()), 2);
    QCOMPARE(disk.generationEvals[0].epoch, int64_t(-1));
    QCOMPARE(disk.generationEvals[1].examples, int64_t(2));
    QVERIFY2(w.statusText()->text().endsWith(QString("; ROUGE-L %1 -> %2 on valid")
                                                 .arg(100 * disk.generationEvals[0].rougeL, 0, 'f', 2)
                                                 .arg(100 * disk.generationEvals[1].rougeL, 0, 'f', 2)),
             qPrintable(w.statusText()->text()));
  }

  // Each method shows its own options; they come from a loaded config, go back into config(), and lock during a run.
  void methodOptionsFollowTheMethodAndTheConfig() {
    MainWindow w(false);
    auto* s = w.setup();
    auto* method = s->findChild<QComboBox*>("method");
    auto* options = s->findChild<QStackedWidget*>("methodOptions");
    QVERIFY(options);
    QStringList methods;
    for (int i = 0; i < method->count(); ++i) methods << method->itemData(i).toString();
    QCOMPARE(methods, QStringList({"gt", "full", "top2", "top-blocks", "lisa", "badam", "lora", "prefix"}));
    for (const QString& m : methods) {
      method->setCurrentIndex(method->findData(m));
      QCOMPARE(options->currentWidget()->objectName(), "options-" + m);
      QVERIFY(!method->itemData(method->currentIndex(), Qt::ToolTipRole).toString().isEmpty());
    }

    RunConfig c;
    c.method = "lisa";
    c.reselectEveryEpochs = 2;
    c.reselectEverySteps = 25;
    c.importanceBatches = 3;
    c.topBlocks = 1;
    c.lisaLayers = 3;
    c.lisaInterval = 7;
    c.badamInterval = 9;
    c.badamOrder = "random";
    c.loraRank = 16;
    c.loraAlpha = 12.5;
    c.loraDropout = 0.25;
    c.loraTargets = "q_proj,k_proj";
    c.prefixTokens = 5;
    s->setConfig(c);
    QCOMPARE(options->currentWidget()->objectName(), QString("options-lisa"));
    QCOMPARE(s->findChild<QSpinBox*>("lisaLayers")->value(), 3);
    QCOMPARE(s->findChild<QComboBox*>("badamOrder")->currentText(), QString("random"));
    QCOMPARE(s->findChild<QLineEdit*>("loraTargets")->text(), QString("q_proj,k_proj"));
    const RunConfig back = s->config();
    for (const char* key : {"method", "reselect_every_epochs", "reselect_every_steps", "importance_batches", "top_blocks", "lisa_layers", "lisa_interval",
                            "badam_interval", "badam_order", "lora_rank", "lora_alpha", "lora_dropout", "lora_targets", "prefix_tokens"})
      QVERIFY2(back.toJson()[key] == c.toJson()[key], key);

    // A user's edit reaches config() and tells the window.
    QSignalSpy changed(s, &ui::SetupPanel::configChanged);
    s->findChild<QSpinBox*>("lisaInterval")->setValue(11);
    QCOMPARE(s->config().lisaInterval, int64_t(11));
    QVERIFY(changed.size() >= 1);
    s->findChild<QComboBox*>("badamOrder")->setCurrentIndex(s->findChild<QComboBox*>("badamOrder")->findData("descending"));
    QCOMPARE(QString::fromStdString(s->config().badamOrder), QString("descending"));
    s->findChild<QSpinBox*>("reselectEverySteps")->setValue(0);
    QCOMPARE(s->findChild<QSpinBox*>("reselectEverySteps")->text(), QString("never"));
    QCOMPARE(s->config().reselectEverySteps, int64_t(0));

    s->setRunning(true);
    QVERIFY(!options->isEnabled());
    s->setRunning(false);
    QVERIFY(options->isEnabled());
  }

  void exportsWritePlotsCsvAndJson() {
    test::TempDir tmp;
    MainWindow w(false);
    loadFixture(w);
    setTraining(w, 2, tmp.path() / "run");
    QSignalSpy finished(w.worker(), &ui::RunWorker::runFinished);
    QVERIFY(w.startRun());
    QVERIFY(finished.wait(300000));
    QTRY_VERIFY(!w.running());
    const RunRecord disk = RunRecord::load(tmp.path() / "run" / "run.json");

    const fs::path png = tmp.path() / "heatmap.png", pdf = tmp.path() / "loss.pdf", svg = tmp.path() / "flops.svg";
    QVERIFY(w.exportPlot(0, q(png), 800, 600, 150));
    QVERIFY(w.exportPlot(1, q(pdf), 800, 600, 150));
    QVERIFY(w.exportPlot(2, q(svg), 640, 480, 96));
    QCOMPARE(readAll(png).substr(0, 8), std::string("\x89PNG\r\n\x1a\n", 8));
    const QImage image(q(png));
    QCOMPARE(image.size(), QSize(800, 600));
    QCOMPARE(qRound(image.dotsPerMeterX() * 0.0254), 150);
    const std::string pdfBytes = readAll(pdf);
    QVERIFY(pdfBytes.size() > 1000);
    QCOMPARE(pdfBytes.substr(0, 5), std::string("%PDF-"));
    QVERIFY(pdfBytes.find("%%EOF") != std::string::npos);
    QSvgRenderer renderer(q(svg));
    QVERIFY(renderer.isValid());
    QCOMPARE(renderer.viewBox(), QRect(0, 0, 640, 480));
    QVERIFY(readAll(svg).find("<svg") != std::string::npos);

    // Bad requests: a clear error and nothing left on disk.
    QVERIFY(!w.exportPlot(0, q(tmp.path() / "plot.bmp"), 800, 600, 150));
    QCOMPARE(errorDialog(w)->text(), q(tmp.path() / "plot.bmp") + ": unknown image format (expected a .png, .pdf or .svg file name)");
    closeDialog(errorDialog(w));
    QVERIFY(!w.exportPlot(0, q(tmp.path() / "missing" / "plot.png"), 800, 600, 150));
    closeDialog(errorDialog(w));
    QVERIFY(!fs::exists(tmp.path() / "missing"));
    QVERIFY(!fs::exists(tmp.path() / "plot.bmp"));

    // CSV: the record's columns, one row per step, the record's values.
    const fs::path csv = tmp.path() / "steps.csv";
    QVERIFY(w.exportStepsCsv(q(csv)));
    const QStringList lines = QString::fromStdString(readAll(csv)).trimmed().split('\n');
    QCOMPARE(lines.front(), QString("step,epoch,loss,lr,flops,flops_full,cumulative_flops,cumulative_flops_full,tokens,forward_ms,backward_ms,optimizer_ms,skipped,step_ms"));
    QCOMPARE(lines.size(), int(disk.steps.size()) + 1);
    for (int i = 1; i < lines.size(); ++i) {
      const QStringList cells = lines[i].split(',');
      QCOMPARE(cells.size(), 14);
      QCOMPARE(cells[0].toLongLong(), disk.steps[size_t(i - 1)].step);
      QCOMPARE(cells[12], QString("0"));  // no fp16 overflow skipped a step
      QVERIFY(disk.steps[size_t(i - 1)].stepMs > 0);
      QVERIFY(std::abs(cells[13].toDouble() - disk.steps[size_t(i - 1)].stepMs) <= 1e-8 * disk.steps[size_t(i - 1)].stepMs);
      QVERIFY(std::abs(cells[2].toDouble() - disk.steps[size_t(i - 1)].loss) <= 1e-5 * std::abs(disk.steps[size_t(i - 1)].loss));
    }
    const fs::path sel = tmp.path() / "selections.csv";
    QVERIFY(w.exportSelectionsCsv(q(sel)));
    const QStringList selLines = QString::fromStdString(readAll(sel)).trimmed().split('\n');
    QCOMPARE(selLines.front(), QString("tensor,selected_1,importance_1,selected_2,importance_2"));
    QCOMPARE(selLines.size(), int(disk.tensors.size()) + 1);
    const auto masks = recordMasks(disk);
    for (int r = 1; r < selLines.size(); ++r) {
      const QStringList cells = selLines[r].split(',');
      QCOMPARE(cells[0], QString::fromStdString(disk.tensors[size_t(r - 1)].name));
      QCOMPARE(cells[1] == "1", bool(masks[0][size_t(r - 1)]));
      QCOMPARE(cells[3] == "1", bool(masks[1][size_t(r - 1)]));
    }
    // JSON: the whole record, loadable, equal to the trainer's.
    const fs::path json = tmp.path() / "copy.json";
    QVERIFY(w.exportRecord(q(json)));
    const RunRecord copy = RunRecord::load(json);
    QCOMPARE(copy.toJson().dump(), disk.toJson().dump());
  }

  // The precision and gradient-checkpointing choices reach the run (its record says bf16-mixed) and survives a config round trip;
  // a config with --dtype bfloat16 and no precision shows as bf16-true; steps carry the peak memory the status bar shows.
  void precisionChoiceReachesTheRun() {
    MainWindow w(false);
    loadFixture(w);
    test::TempDir tmp;
    setTraining(w, 1, tmp.path() / "run");
    auto* precision = w.setup()->findChild<QComboBox*>("precision");
    precision->setCurrentIndex(precision->findData("bf16-mixed"));
    w.setup()->findChild<QCheckBox*>("gradientCheckpointing")->setChecked(true);
    QCOMPARE(QString::fromStdString(w.setup()->config().precision), QString("bf16-mixed"));
    QVERIFY(w.setup()->config().gradientCheckpointing);
    QCOMPARE(QString::fromStdString(w.setup()->config().dtype), QString("float32"));
    QSignalSpy finished(w.worker(), &ui::RunWorker::runFinished);
    QSignalSpy steps(w.worker(), &ui::RunWorker::stepDone);
    QVERIFY(w.startRun());
    QVERIFY(!precision->isEnabled());
    QVERIFY(finished.wait(300000));
    QVERIFY(steps.size() > 0);
    QVERIFY(steps.front().at(0).value<gt::StepEvent>().peakMemoryBytes > 0);  // what the status bar shows as "peak N GB"
    QTRY_VERIFY(!w.running());
    const RunRecord record = RunRecord::load(tmp.path() / "run" / "run.json");
    QCOMPARE(QString::fromStdString(record.precision), QString("bf16-mixed"));
    QCOMPARE(record.config["gradient_checkpointing"].get<bool>(), true);
    RunConfig c = w.setup()->config();
    c.precision = "auto";
    c.dtype = "bfloat16";
    w.setup()->setConfig(c);
    QCOMPARE(precision->currentData().toString(), QString("bf16-true"));
    QCOMPARE(QString::fromStdString(w.setup()->config().dtype), QString("bfloat16"));
  }

  void exportDialogNamesTheFileAfterPlotAndFormat() {
    ui::ExportDialog dialog({"Selection heatmap", "Loss", "FLOPs"}, 1, "/tmp/reports");
    QCOMPARE(dialog.path(), QString("/tmp/reports/loss.png"));
    auto* format = dialog.findChildren<QComboBox*>().at(1);
    format->setCurrentIndex(2);
    QCOMPARE(dialog.path(), QString("/tmp/reports/loss.svg"));
    dialog.findChildren<QComboBox*>().at(0)->setCurrentIndex(0);
    QCOMPARE(dialog.path(), QString("/tmp/reports/selection-heatmap.svg"));
    QCOMPARE(dialog.plot(), 0);
    QCOMPARE(dialog.widthPx(), 1600);
    QCOMPARE(dialog.heightPx(), 900);
    QCOMPARE(dialog.dpi(), 150);
  }

  void backwardViewExplainsTheDeepestTensor() {
    // A hand-built chain: 4 tensors of one layer, reach 1, 2, 2, 5 GFLOPs (tensors 1 and 2 are
    // parallel branches), dw 10, 20, 30, 40 GFLOPs. Selecting tensor 1 means backprop runs down
    // to reach 2: the dy below tensors 0 and 1 runs, tensor 2's dy (to reach 5) does not.
    RunRecord r;
    for (int i = 0; i < 4; ++i) r.tensors.push_back({"model.layers.0.t" + std::to_string(i) + ".weight", {2, 2}, 10e9 * (i + 1), 0});
    r.tensors[0].reach = 1e9, r.tensors[1].reach = 2e9, r.tensors[2].reach = 2e9, r.tensors[3].reach = 5e9;
    r.referenceTFp = 100e9;
    r.referenceTFull = 300e9;
    r.referenceBatch = 2, r.referenceSeq = 8;
    SelectionRecord s;
    s.selected = {"model.layers.0.t1.weight"};
    s.importanceScaled = {0.5, 1.0, 0.25, 0.0};
    r.selections.push_back(s);
    ui::BackwardPassView view;
    view.showSelection(r);
    const auto& ops = view.ops();
    QCOMPARE(int(ops.size()), 4);
    QCOMPARE(ops[0].name, QString("t0.weight"));
    const bool dy[] = {true, true, false, false}, dw[] = {false, true, false, false};
    for (int i = 0; i < 4; ++i) {
      QCOMPARE(ops[size_t(i)].dy, dy[i]);
      QCOMPARE(ops[size_t(i)].dw, dw[i]);
    }
    QCOMPARE(ops[0].dyFlops, 1e9);  // reach increments: 2-1, 2-2, 5-2
    QCOMPARE(ops[2].dyFlops, 3e9);
    // Step = 100 + 20 (dw of t1) + 2 (reach) = 122 GFLOPs = 40.7% of 300.
    QVERIFY2(view.summaryText().contains("122.000 GFLOPs = <b>40.7% of Full FT</b>"), qPrintable(view.summaryText()));
    ui::TensorTable table;
    table.showSelection(r);
    QCOMPARE(table.rowCount(), 4);
    table.sortItems(ui::TensorTable::Importance, Qt::DescendingOrder);
    QCOMPARE(table.item(0, ui::TensorTable::Name)->text(), QString("model.layers.0.t1.weight"));
    QCOMPARE(table.item(0, ui::TensorTable::Selected)->text(), QString("yes"));
    QCOMPARE(table.item(3, ui::TensorTable::Name)->text(), QString("model.layers.0.t3.weight"));
  }

  // A run with one selection (a one-epoch run) draws its column; a record far larger than the
  // screen is drawn sampled, with the same values where it samples.
  void heatmapDrawsOneSelectionAndHugeRecords() {
    auto record = [](size_t tensors, size_t selections) {
      RunRecord r;
      for (size_t t = 0; t < tensors; ++t) r.tensors.push_back({"t" + std::to_string(t), {2, 2}, 1.0, 1.0});
      for (size_t s = 0; s < selections; ++s) {
        SelectionRecord sel;
        sel.step = int64_t(s);
        sel.selected = {"t" + std::to_string(s % tensors)};
        sel.importanceScaled.assign(tensors, 1.0);
        r.selections.push_back(std::move(sel));
      }
      return r;
    };
    auto countDarkGreen = [](const QImage& image) {
      int n = 0;
      for (int y = 0; y < image.height(); ++y)
        for (int x = 0; x < image.width(); ++x) {
          const QColor c = image.pixelColor(x, y);
          n += std::abs(c.red() - 0) < 12 && std::abs(c.green() - 109) < 12 && std::abs(c.blue() - 44) < 12;
        }
      return n;
    };
    ui::HeatmapPlot h;
    h.resize(600, 400);
    h.showRecord(record(4, 1));
    QCOMPARE(h.columns(), 1);
    QVERIFY(ui::HeatmapPlot::isSelectedValue(h.cellValue(0, 0)));
    QVERIFY(!ui::HeatmapPlot::isSelectedValue(h.cellValue(0, 1)));
    QVERIFY2(countDarkGreen(h.toPixmap(600, 400).toImage()) > 500, "the single selection's trained tensor is not drawn");

    h.showRecord(record(10, 30000));  // 30,000 selections: drawn every 15th
    QCOMPARE(h.columns(), 30000);
    QVERIFY(ui::HeatmapPlot::isSelectedValue(h.cellValue(15 * 7, (15 * 7) % 10)));
    QVERIFY(countDarkGreen(h.toPixmap(600, 400).toImage()) > 0);
    h.showRecord(record(5000, 3));  // 5,000 tensors: every 3rd
    QCOMPARE(h.rows(), 5000);
    QVERIFY(ui::HeatmapPlot::isSelectedValue(h.cellValue(0, 0)));
  }

  void screenshotCommandRendersARun() {
    test::TempDir tmp;
    // A record made by the trainer in-process is the input: reuse the exports test's shape.
    MainWindow w(false);
    loadFixture(w);
    setTraining(w, 1, tmp.path() / "run");
    QSignalSpy finished(w.worker(), &ui::RunWorker::runFinished);
    QVERIFY(w.startRun());
    QVERIFY(finished.wait(300000));
    QTRY_VERIFY(!w.running());

    QProcess studio;
    studio.start(GT_STUDIO_PATH, {"--screenshot", q(tmp.path() / "shot.png"), "--run", q(tmp.path() / "run" / "run.json"), "--size", "1300x850"});
    QVERIFY(studio.waitForFinished(120000));
    QCOMPARE(studio.exitCode(), 0);
    const QImage shot(q(tmp.path() / "shot.png"));
    QCOMPARE(shot.size(), QSize(1300, 850));
    std::set<QRgb> colours;
    for (int y = 0; y < shot.height(); y += 3)
      for (int x = 0; x < shot.width(); x += 3) colours.insert(shot.pixel(x, y));
    QVERIFY2(colours.size() > 100, qPrintable(QString("%1 distinct colours: a blank window?").arg(colours.size())));

    // In-process, where the heatmap's place is known: its cells show the selection's greens.
    MainWindow v(false);
    QVERIFY(v.openRunRecord(q(tmp.path() / "run" / "run.json")));
    const QImage image = v.screenshot(QSize(1300, 850));
    const QRect heat(v.heatmap()->mapTo(&v, QPoint(0, 0)), v.heatmap()->size());
    QVERIFY(heat.width() > 100 && heat.height() > 100);
    int green = 0;
    for (int y = heat.top(); y <= heat.bottom(); ++y)
      for (int x = heat.left(); x <= heat.right(); ++x) {
        const QColor c = image.pixelColor(x, y);
        green += c.green() > c.red() + 30 && c.green() > c.blue() + 20;  // between (199,233,192) and (0,109,44)
      }
    QVERIFY2(green > heat.width() * heat.height() / 100, qPrintable(QString("%1 green pixels in the heatmap").arg(green)));

    studio.start(GT_STUDIO_PATH, {"--screenshot", q(tmp.path() / "none.png"), "--run", "/nonexistent/run.json"});
    QVERIFY(studio.waitForFinished(120000));
    QCOMPARE(studio.exitCode(), 1);
    QVERIFY2(QString(studio.readAllStandardError()).contains("/nonexistent/run.json"), "stderr names the record");
    QVERIFY(!fs::exists(tmp.path() / "none.png"));
  }
};

QTEST_MAIN(TestStudio)
#include "test_studio.moc"
