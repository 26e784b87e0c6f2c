#include "ui/setup_panel.h"

#include <QCheckBox>
#include <QComboBox>
#include <QStandardItemModel>
#include <QDoubleSpinBox>
#include <QFileDialog>
#include <QFormLayout>
#include <QGroupBox>
#include <QHBoxLayout>
#include <QHeaderView>
#include <QLabel>
#include <QLineEdit>
#include <QPushButton>
#include <QSlider>
#include <QSpinBox>
#include <QTableWidget>
#include <QVBoxLayout>
#include <QtConcurrent/QtConcurrentRun>
#include <algorithm>
#include <cmath>

#include "core/green/selector.h"
#include "core/util/error.h"
#include "core/util/runtime_info.h"
#include "ui/method_options.h"

namespace gt::ui {
namespace {

template <typename T, typename F>
Outcome<T> capture(F&& body) {
  try {
    return {body(), {}};
  } catch (const std::exception& e) {
    return {T{}, QString::fromStdString(e.what())};
  }
}

QString q(const std::string& s) { return QString::fromStdString(s); }
std::string s(const QString& q) { return q.toStdString(); }

QPushButton* browseButton(const QString& text) {
  auto* b = new QPushButton(text);
  b->setSizePolicy(QSizePolicy::Fixed, QSizePolicy::Fixed);
  return b;
}

QWidget* row(QWidget* main, QWidget* side) {
  auto* w = new QWidget;
  auto* l = new QHBoxLayout(w);
  l->setContentsMargins(0, 0, 0, 0);
  l->addWidget(main, 1);
  l->addWidget(side);
  return w;
}

void selectText(QComboBox* box, const QStringList& preferred) {
  for (const auto& p : preferred) {
    const int i = box->findText(p);
    if (i >= 0) {
      box->setCurrentIndex(i);
      return;
    }
  }
}

}  // namespace

SetupPanel::SetupPanel(QWidget* parent) : QWidget(parent) {
  modelWatcher_ = new QFutureWatcher<Outcome<ModelSummary>>(this);
  previewWatcher_ = new QFutureWatcher<Outcome<SelectionPreview>>(this);
  buildUi();

  connect(modelWatcher_, &QFutureWatcherBase::finished, this, [this] {
    const auto outcome = modelWatcher_->result();
    openModelButton_->setEnabled(!running_);
    tokenizerButton_->setEnabled(!running_);
    if (!outcome.error.isEmpty()) {
      pendingTokenizer_ = tokenizerPath_->text();
      modelInfo_->setText(model_ ? modelInfoText_ : QString("No model loaded."));
      Q_EMIT errorOccurred("Cannot open the model", outcome.error);
      return;
    }
    model_ = outcome.value;
    preview_.reset();
    {
      // A model with learned positions cannot take longer sequences than it has positions.
      const QSignalBlocker block(maxLength_);
      maxLength_->setMaximum(model_->maxPositions > 0 ? int(model_->maxPositions) : 1000000);
    }
    modelPath_->setText(pendingModel_);
    tokenizerPath_->setText(pendingTokenizer_);
    const auto& m = *model_;
    const bool encoderDecoder = m.decoderLayers > 0;
    modelInfoText_ = QString("%1, %2 M parameters, %3 layers, hidden %4, vocab %5; %6 trainable tensors. Tokenizer: %7 tokens.")
                            .arg(encoderDecoder ? q(m.modelType) + " (encoder-decoder)" : q(m.modelType))
                            .arg(double(m.parameters) / 1e6, 0, 'f', 2)
                            .arg(encoderDecoder ? QString("%1 + %2").arg(m.layers).arg(m.decoderLayers) : QString::number(m.layers))
                            .arg(m.hiddenSize)
                            .arg(m.vocabSize)
                            .arg(m.chain.tensors.size())
                            .arg(m.tokenizerVocab);
    modelInfo_->setText(modelInfoText_);
    enableMethodsFor(encoderDecoder);
    refreshDataset();
    updateRho();
    Q_EMIT modelReady();
    Q_EMIT configChanged();
  });
  connect(previewWatcher_, &QFutureWatcherBase::finished, this, [this] {
    const auto outcome = previewWatcher_->result();
    previewButton_->setEnabled(!running_);
    previewButton_->setText("Preview selection");
    if (!outcome.error.isEmpty()) {
      Q_EMIT errorOccurred("Cannot preview the selection", outcome.error);
      return;
    }
    preview_ = outcome.value;
    updateRho();
    Q_EMIT selectionPreviewed();
  });
}

void SetupPanel::buildUi() {
  auto* layout = new QVBoxLayout(this);

  auto* modelBox = new QGroupBox("Model");
  auto* mf = new QFormLayout(modelBox);
  modelPath_ = new QLineEdit;
  modelPath_->setObjectName("modelPath");
  modelPath_->setReadOnly(true);
  modelPath_->setPlaceholderText("Hugging Face model folder (config.json + *.safetensors)");
  openModelButton_ = browseButton("Open...");
  mf->addRow("Folder:", row(modelPath_, openModelButton_));
  tokenizerPath_ = new QLineEdit;
  tokenizerPath_->setObjectName("tokenizerPath");
  tokenizerPath_->setReadOnly(true);
  tokenizerPath_->setPlaceholderText("the model folder's");
  tokenizerButton_ = browseButton("Choose...");
  mf->addRow("Tokenizer:", row(tokenizerPath_, tokenizerButton_));
  modelInfo_ = new QLabel("No model loaded.");
  modelInfo_->setObjectName("modelInfo");
  modelInfo_->setWordWrap(true);
  mf->addRow(modelInfo_);
  layout->addWidget(modelBox);

  auto* dataBox = new QGroupBox("Dataset");
  auto* df = new QFormLayout(dataBox);
  dataPath_ = new QLineEdit;
  dataPath_->setObjectName("dataPath");
  dataPath_->setReadOnly(true);
  dataPath_->setPlaceholderText("JSONL, CSV or TSV file");
  openDataButton_ = browseButton("Open...");
  df->addRow("File:", row(dataPath_, openDataButton_));
  sourceField_ = new QComboBox;
  sourceField_->setObjectName("sourceField");
  targetField_ = new QComboBox;
  targetField_->setObjectName("targetField");
  auto* fields = new QWidget;
  auto* fl = new QHBoxLayout(fields);
  fl->setContentsMargins(0, 0, 0, 0);
  fl->addWidget(new QLabel("source"));
  fl->addWidget(sourceField_, 1);
  fl->addWidget(new QLabel("target"));
  fl->addWidget(targetField_, 1);
  df->addRow("Fields:", fields);
  trainSplit_ = new QComboBox;
  trainSplit_->setObjectName("trainSplit");
  evalSplit_ = new QComboBox;
  evalSplit_->setObjectName("evalSplit");
  auto* splits = new QWidget;
  auto* sl = new QHBoxLayout(splits);
  sl->setContentsMargins(0, 0, 0, 0);
  sl->addWidget(new QLabel("train"));
  sl->addWidget(trainSplit_, 1);
  sl->addWidget(new QLabel("validation"));
  sl->addWidget(evalSplit_, 1);
  df->addRow("Splits:", splits);
  // Evaluation by generation (ROUGE on a split, beam search as configured in the run setup).
  rougeSplit_ = new QComboBox;
  rougeSplit_->setObjectName("rougeSplit");
  rougeExamples_ = new QSpinBox;
  rougeExamples_->setObjectName("rougeExamples");
  rougeExamples_->setRange(0, 100000000);
  rougeExamples_->setSpecialValueText("all");
  rougeExamples_->setToolTip("Rows of the split scored (0: all)");
  rougeBefore_ = new QCheckBox("before");
  rougeBefore_->setObjectName("rougeBefore");
  rougeBefore_->setToolTip("Also score the model before training");
  rougeEveryEpoch_ = new QCheckBox("each epoch");
  rougeEveryEpoch_->setObjectName("rougeEveryEpoch");
  rougeEveryEpoch_->setToolTip("Score after every epoch, not only at the end");
  auto* rouge = new QWidget;
  auto* rl = new QHBoxLayout(rouge);
  rl->setContentsMargins(0, 0, 0, 0);
  rl->addWidget(rougeSplit_, 1);
  rl->addWidget(rougeExamples_);
  rl->addWidget(rougeBefore_);
  rl->addWidget(rougeEveryEpoch_);
  df->addRow("ROUGE on:", rouge);
  template_ = new QLineEdit(q(RunConfig{}.promptTemplate));
  template_->setObjectName("promptTemplate");
  df->addRow("Template:", template_);
  dataInfo_ = new QLabel;
  dataInfo_->setWordWrap(true);
  df->addRow(dataInfo_);
  dataProblem_ = new QLabel;
  dataProblem_->setObjectName("dataProblem");
  dataProblem_->setWordWrap(true);
  dataProblem_->setStyleSheet("color: #b2182b");
  df->addRow(dataProblem_);
  dataRows_ = new QTableWidget(0, 5);
  dataRows_->setObjectName("dataRows");
  dataRows_->setHorizontalHeaderLabels({"source", "target", "prompt tok", "target tok", "tokens"});
  dataRows_->setEditTriggers(QAbstractItemView::NoEditTriggers);
  dataRows_->horizontalHeader()->setSectionResizeMode(QHeaderView::Interactive);
  dataRows_->horizontalHeader()->setStretchLastSection(true);
  dataRows_->setMinimumHeight(140);
  df->addRow(dataRows_);
  layout->addWidget(dataBox);

  auto* trainBox = new QGroupBox("Training");
  auto* tf = new QFormLayout(trainBox);
  method_ = new QComboBox;
  method_->setObjectName("method");
  fillMethodList(method_);
  tf->addRow("Method:", method_);
  methodOptions_ = new MethodOptions;
  tf->addRow(methodOptions_);
  rhoSlider_ = new QSlider(Qt::Horizontal);
  rhoSlider_->setObjectName("rhoSlider");
  rhoSlider_->setRange(5, 100);
  rho_ = new QDoubleSpinBox;
  rho_->setObjectName("rho");
  rho_->setRange(0.05, 1.0);
  rho_->setSingleStep(0.05);
  rho_->setDecimals(2);
  tf->addRow("rho (FLOPs budget):", row(rhoSlider_, rho_));
  rhoInfo_ = new QLabel;
  rhoInfo_->setObjectName("rhoInfo");
  rhoInfo_->setWordWrap(true);
  tf->addRow(rhoInfo_);
  epochs_ = new QSpinBox;
  epochs_->setObjectName("epochs");
  epochs_->setRange(1, 1000);
  batch_ = new QSpinBox;
  batch_->setObjectName("batchSize");
  batch_->setRange(1, 4096);
  auto* eb = new QWidget;
  auto* ebl = new QHBoxLayout(eb);
  ebl->setContentsMargins(0, 0, 0, 0);
  ebl->addWidget(epochs_);
  ebl->addWidget(new QLabel("batch"));
  ebl->addWidget(batch_);
  tf->addRow("Epochs:", eb);
  lr_ = new QDoubleSpinBox;
  lr_->setObjectName("lr");
  lr_->setDecimals(6);
  lr_->setRange(0.000001, 1.0);
  lr_->setSingleStep(0.0001);
  seed_ = new QSpinBox;
  seed_->setObjectName("seed");
  seed_->setRange(0, 2147483647);
  auto* ls = new QWidget;
  auto* lsl = new QHBoxLayout(ls);
  lsl->setContentsMargins(0, 0, 0, 0);
  lsl->addWidget(lr_);
  lsl->addWidget(new QLabel("seed"));
  lsl->addWidget(seed_);
  tf->addRow("Learning rate:", ls);
  maxExamples_ = new QSpinBox;
  maxExamples_->setObjectName("maxExamples");
  maxExamples_->setRange(0, 100000000);
  maxExamples_->setSpecialValueText("all");
  maxLength_ = new QSpinBox;
  maxLength_->setObjectName("maxLength");
  maxLength_->setRange(2, 1000000);
  auto* ml = new QWidget;
  auto* mll = new QHBoxLayout(ml);
  mll->setContentsMargins(0, 0, 0, 0);
  mll->addWidget(maxExamples_);
  mll->addWidget(new QLabel("max tokens"));
  mll->addWidget(maxLength_);
  tf->addRow("Train examples:", ml);
  device_ = new QComboBox;
  device_->setObjectName("device");
  device_->addItem("CPU", "cpu");
  for (int i = 0; i < cudaDeviceCount(); ++i) device_->addItem(QString("CUDA %1").arg(i), QString("cuda:%1").arg(i));
  tf->addRow("Device:", device_);
  precision_ = new QComboBox;
  precision_->setObjectName("precision");
  precision_->addItem("Auto (bf16-mixed on a GPU, fp32 on the CPU)", "auto");
  precision_->addItem("fp32", "fp32");
  precision_->addItem("bf16-mixed (fp32 weights, bf16 compute)", "bf16-mixed");
  precision_->addItem("fp16-mixed (fp32 weights, fp16 compute, loss scaling)", "fp16-mixed");
  precision_->addItem("bf16-true (bf16 weights: fastest, small updates vanish)", "bf16-true");
  precision_->setToolTip("Mixed precisions keep fp32 master weights and AdamW state and compute in 16 bits; "
                         "bf16-true stores the weights and optimizer state in bf16, which learns visibly worse.");
  tf->addRow("Precision:", precision_);
  gradientCheckpointing_ = new QCheckBox("Gradient checkpointing");
  gradientCheckpointing_->setObjectName("gradientCheckpointing");
  gradientCheckpointing_->setToolTip("Keep one decoder block's activations instead of all: less memory, and each block the backward "
                                     "pass reaches runs its forward again (counted in the FLOPs and in GreenTrainer's budget).");
  tf->addRow("", gradientCheckpointing_);
  outDir_ = new QLineEdit;
  outDir_->setObjectName("outDir");
  outDir_->setPlaceholderText("a new folder under the app's runs folder");
  tf->addRow("Output folder:", outDir_);
  previewButton_ = new QPushButton("Preview selection");
  previewButton_->setObjectName("previewButton");
  previewButton_->setToolTip("Importance from the run's first batch and the selection the DP makes for this rho");
  tf->addRow(previewButton_);
  layout->addWidget(trainBox);
  layout->addStretch(1);

  connect(openModelButton_, &QPushButton::clicked, this, [this] {
    const QString dir = QFileDialog::getExistingDirectory(this, "Open model folder", modelPath_->text());
    if (!dir.isEmpty()) openModel(dir);
  });
  connect(tokenizerButton_, &QPushButton::clicked, this, [this] {
    const QString dir = QFileDialog::getExistingDirectory(this, "Tokenizer folder (empty: the model's)", tokenizerPath_->text());
    if (!dir.isEmpty()) setTokenizer(dir);
  });
  connect(openDataButton_, &QPushButton::clicked, this, [this] {
    const QString file = QFileDialog::getOpenFileName(this, "Open dataset", dataPath_->text(), "Datasets (*.jsonl *.json *.csv *.tsv);;All files (*)");
    if (!file.isEmpty()) openDataset(file);
  });
  for (auto* box : {sourceField_, targetField_, trainSplit_, evalSplit_})
    connect(box, &QComboBox::currentIndexChanged, this, [this] { inputsChanged(true); });
  connect(template_, &QLineEdit::editingFinished, this, [this] { inputsChanged(true); });
  connect(rhoSlider_, &QSlider::valueChanged, this, [this](int v) {
    if (!filling_ && std::lround(rho_->value() * 100) != v) rho_->setValue(v / 100.0);
  });
  connect(rho_, &QDoubleSpinBox::valueChanged, this, [this](double v) {
    const QSignalBlocker block(rhoSlider_);
    rhoSlider_->setValue(int(std::lround(v * 100)));
    updateRho();
    if (!filling_) {
      Q_EMIT rhoChanged(v);
      Q_EMIT configChanged();
    }
  });
  connect(method_, &QComboBox::currentIndexChanged, this, [this] {
    updateMethod();
    if (!filling_) Q_EMIT configChanged();
  });
  for (auto* spin : {batch_, seed_, maxExamples_, maxLength_})
    connect(spin, &QSpinBox::valueChanged, this, [this] { inputsChanged(false); });
  connect(lr_, &QDoubleSpinBox::valueChanged, this, [this] { inputsChanged(false); });
  connect(methodOptions_, &MethodOptions::changed, this, [this] { inputsChanged(false); });
  connect(previewButton_, &QPushButton::clicked, this, [this] { previewSelection(); });
  setConfig(RunConfig{});
}

RunConfig SetupPanel::config() const {
  RunConfig c = base_;
  c.model = s(modelPath_->text());
  c.tokenizer = s(tokenizerPath_->text());
  c.data = s(dataPath_->text());
  c.dataFormat = dataset_.format;
  c.sourceField = s(sourceField_->currentText());
  c.targetField = s(targetField_->currentText());
  c.split = s(trainSplit_->currentData().toString());
  c.evalSplit = s(evalSplit_->currentData().toString());
  c.promptTemplate = s(template_->text());
  c.generateSplit = s(rougeSplit_->currentData().toString());
  c.maxGenerateExamples = rougeExamples_->value();
  c.generateBeforeTraining = rougeBefore_->isChecked();
  c.generateEveryEpoch = rougeEveryEpoch_->isChecked();
  c.method = s(method_->currentData().toString());
  c.rho = rho_->value();
  c.epochs = epochs_->value();
  c.batchSize = batch_->value();
  c.lr = lr_->value();
  c.seed = uint64_t(seed_->value());
  c.maxTrainExamples = maxExamples_->value();
  c.maxLength = maxLength_->value();
  c.device = s(device_->currentData().toString());
  c.precision = s(precision_->currentData().toString());
  c.gradientCheckpointing = gradientCheckpointing_->isChecked();
  methodOptions_->applyTo(c);
  if (c.precision != "auto" && c.precision != "bf16-true" && c.precision != "fp16-true") c.dtype = "float32";
  if (c.precision == "bf16-true") c.dtype = "bfloat16";
  c.outDir = s(outDir_->text().trimmed());
  return c;
}

void SetupPanel::setConfig(const RunConfig& c) {
  base_ = c;
  filling_ = true;
  template_->setText(q(c.promptTemplate));
  method_->setCurrentIndex(std::max(0, method_->findData(q(c.method))));
  methodOptions_->setConfig(c);
  rho_->setValue(c.rho);
  rhoSlider_->setValue(int(std::lround(c.rho * 100)));
  epochs_->setValue(int(c.epochs));
  batch_->setValue(int(c.batchSize));
  lr_->setValue(c.lr);
  seed_->setValue(int(c.seed));
  maxExamples_->setValue(int(c.maxTrainExamples));
  maxLength_->setMaximum(1000000);  // the model's limit is applied once it is open
  maxLength_->setValue(int(c.maxLength));
  device_->setCurrentIndex(std::max(0, device_->findData(q(c.device))));
  const std::string precision = c.precision == "auto" && c.dtype == "bfloat16" ? "bf16-true" : c.precision;
  precision_->setCurrentIndex(std::max(0, precision_->findData(q(precision))));
  gradientCheckpointing_->setChecked(c.gradientCheckpointing);
  outDir_->setText(q(c.outDir));
  rougeExamples_->setValue(int(c.maxGenerateExamples));
  rougeBefore_->setChecked(c.generateBeforeTraining);
  rougeEveryEpoch_->setChecked(c.generateEveryEpoch);
  filling_ = false;
  updateMethod();
  if (!c.data.empty()) {
    dataPath_->clear();
    loadDataset(q(c.data), true);
  }
  if (!c.model.empty()) {
    pendingTokenizer_ = q(c.tokenizer);
    tokenizerPath_->setText(q(c.tokenizer));
    openModel(q(c.model));
  }
  updateRho();
}

void SetupPanel::openModel(const QString& folder) {
  pendingModel_ = folder;
  if (pendingTokenizer_.isNull()) pendingTokenizer_ = tokenizerPath_->text();
  RunConfig c = config();
  c.model = s(folder);
  c.tokenizer = s(pendingTokenizer_);
  int64_t seq = 128;
  std::vector<int64_t> lengths;
  for (const auto& r : dataset_.first)
    if (r.promptTokens >= 0 && !r.skipped) lengths.push_back(r.promptTokens + r.targetTokens);
  if (!lengths.empty()) seq = *std::max_element(lengths.begin(), lengths.end());
  modelInfo_->setText("Checking " + folder + " ...");
  openModelButton_->setEnabled(false);
  tokenizerButton_->setEnabled(false);
  modelWatcher_->setFuture(QtConcurrent::run([c, seq] { return capture<ModelSummary>([&] { return inspectModel(c, seq); }); }));
}

void SetupPanel::setTokenizer(const QString& path) {
  pendingTokenizer_ = path;
  if (!modelPath_->text().isEmpty() || !pendingModel_.isEmpty())
    openModel(modelPath_->text().isEmpty() ? pendingModel_ : modelPath_->text());
  else
    tokenizerPath_->setText(path);
}

bool SetupPanel::busy() const { return modelWatcher_->isRunning() || previewWatcher_->isRunning(); }

void SetupPanel::waitForBackgroundWork() {
  modelWatcher_->waitForFinished();
  previewWatcher_->waitForFinished();
}

bool SetupPanel::openDataset(const QString& file) { return loadDataset(file, false); }

bool SetupPanel::loadDataset(const QString& file, bool exactFields) {
  RunConfig c = config();
  c.data = s(file);
  c.dataFormat.clear();
  DatasetPreview layout;
  try {
    layout = datasetLayout(c);  // fields and splits first; refreshDataset reads and tokenises the rows
  } catch (const std::exception& e) {
    Q_EMIT errorOccurred("Cannot open the dataset", QString::fromStdString(e.what()));
    return false;
  }
  filling_ = true;
  const QString oldSource = sourceField_->currentText(), oldTarget = targetField_->currentText();
  const QString oldTrain = trainSplit_->currentText(), oldEval = evalSplit_->currentText(), oldRouge = rougeSplit_->currentText();
  dataPath_->setText(file);
  dataset_ = layout;
  sourceField_->clear();
  targetField_->clear();
  for (const auto& f : layout.fields) sourceField_->addItem(q(f)), targetField_->addItem(q(f));
  selectText(sourceField_, {q(base_.sourceField), oldSource, "source", "input", "document", "text"});
  selectText(targetField_, {q(base_.targetField), oldTarget, "target", "output", "summary", "label"});
  trainSplit_->clear();
  evalSplit_->clear();
  trainSplit_->addItem("(all rows)", QString());
  evalSplit_->addItem("(none)", QString());
  rougeSplit_->clear();
  rougeSplit_->addItem("(none)", QString());
  for (const auto& sp : layout.splits) trainSplit_->addItem(q(sp), q(sp)), evalSplit_->addItem(q(sp), q(sp)), rougeSplit_->addItem(q(sp), q(sp));
  if (exactFields) {
    trainSplit_->setCurrentIndex(std::max(0, trainSplit_->findData(q(base_.split))));
    evalSplit_->setCurrentIndex(std::max(0, evalSplit_->findData(q(base_.evalSplit))));
    rougeSplit_->setCurrentIndex(std::max(0, rougeSplit_->findData(q(base_.generateSplit))));
  } else {
    selectText(trainSplit_, {oldTrain, "train"});
    selectText(evalSplit_, {oldEval, "valid", "validation"});
    selectText(rougeSplit_, {oldRouge});
  }
  filling_ = false;
  inputsChanged(true);
  Q_EMIT datasetReady();
  return true;
}

void SetupPanel::inputsChanged(bool datasetRows) {
  if (filling_) return;
  preview_.reset();  // importance depends on the model, the data, batch size, seed and lr
  if (datasetRows) refreshDataset();
  updateRho();
  Q_EMIT configChanged();
}

void SetupPanel::refreshDataset() {
  dataRows_->setRowCount(0);
  dataProblem_->clear();
  dataInfo_->clear();
  if (dataPath_->text().isEmpty()) return;
  RunConfig c = config();
  if (!model_) c.model.clear(), c.tokenizer.clear();
  try {
    dataset_ = previewDataset(c, 8);
  } catch (const std::exception& e) {
    dataProblem_->setText(QString::fromStdString(e.what()));
    return;
  }
  dataInfo_->setText(QString("%1, %2 rows; %3 in the chosen split.").arg(q(dataset_.format).toUpper()).arg(dataset_.fileRows).arg(dataset_.rows));
  dataProblem_->setText(q(dataset_.problem));
  dataRows_->setRowCount(int(dataset_.first.size()));
  for (int i = 0; i < int(dataset_.first.size()); ++i) {
    const auto& r = dataset_.first[size_t(i)];
    auto text = [](const std::string& t) { return new QTableWidgetItem(q(t.size() > 120 ? t.substr(0, 120) + "..." : t)); };
    dataRows_->setItem(i, 0, text(r.source));
    dataRows_->setItem(i, 1, text(r.target));
    auto count = [&](int64_t n) {
      auto* item = new QTableWidgetItem(n < 0 ? QString("-") : r.skipped ? QString("skipped") : QString::number(n));
      item->setTextAlignment(Qt::AlignRight | Qt::AlignVCenter);
      return item;
    };
    dataRows_->setItem(i, 2, count(r.promptTokens));
    dataRows_->setItem(i, 3, count(r.targetTokens));
    QStringList tokens;
    for (const auto& t : r.tokens) tokens << q(t);
    auto* tok = new QTableWidgetItem(tokens.join(" | "));
    tok->setToolTip(tokens.join(" | "));
    if (r.truncated) tok->setText("[source cut to fit] " + tok->text());
    dataRows_->setItem(i, 4, tok);
  }
}

void SetupPanel::previewSelection() {
  const RunConfig c = config();
  previewButton_->setEnabled(false);
  previewButton_->setText("Computing importance...");
  previewWatcher_->setFuture(QtConcurrent::run([c] { return capture<SelectionPreview>([&] { return gt::previewSelection(c); }); }));
}

void SetupPanel::setRunning(bool running) {
  running_ = running;
  for (QWidget* w : std::initializer_list<QWidget*>{openModelButton_, tokenizerButton_, openDataButton_, sourceField_, targetField_, trainSplit_,
                                                    evalSplit_, rougeSplit_, rougeExamples_, rougeBefore_, rougeEveryEpoch_, template_, method_, epochs_, batch_, lr_, seed_, maxExamples_, maxLength_,
                                                    device_, precision_, gradientCheckpointing_, methodOptions_, outDir_, previewButton_})
    w->setEnabled(!running);
  // rho stays live during a GreenTrainer run: it takes effect at the next selection.
  updateMethod();
}

void SetupPanel::enableMethodsFor(bool encoderDecoder) {
  // The block-wise methods name decoder-only layers and a prefix attaches to decoder-only attention.
  auto* items = qobject_cast<QStandardItemModel*>(method_->model());
  for (int i = 0; i < method_->count(); ++i) {
    items->item(i)->setEnabled(!(encoderDecoder && methodNeedsDecoderOnly(method_->itemData(i).toString())));
  }
  if (!items->item(method_->currentIndex())->isEnabled()) method_->setCurrentIndex(method_->findData("gt"));
}

void SetupPanel::updateMethod() {
  const bool gt = method_->currentData().toString() == "gt";
  methodOptions_->showMethod(method_->currentData().toString());
  rho_->setEnabled(gt);
  rhoSlider_->setEnabled(gt);
  previewButton_->setEnabled(gt && !running_ && !previewWatcher_->isRunning());
  updateRho();
}

RunRecord SetupPanel::previewRecord() const {
  RunRecord r;
  if (!preview_) return r;
  const auto& ch = preview_->chain;
  r.config = config().toJson();
  r.tensors = ch.tensors;
  r.referenceTFp = ch.tFp;
  r.referenceTFull = ch.tFull;
  r.referenceBatch = ch.batch;
  r.referenceSeq = ch.seq;
  r.status = "preview";
  try {
    const auto result = selectTensors(ch.problem(rho_->value(), preview_->importance));
    SelectionRecord sel;
    sel.rho = rho_->value();
    for (size_t i = 0; i < result.mask.size(); ++i)
      if (result.mask[i]) sel.selected.push_back(ch.tensors[i].name);
    sel.importanceScaled = preview_->importance;
    sel.predictedFraction = result.fraction;
    r.selections.push_back(std::move(sel));
  } catch (const Error&) {
    // rho infeasible: the record shows the costs only; rhoSummary() says why.
  }
  return r;
}

QString SetupPanel::rhoSummary() const { return rhoInfo_->text(); }

void SetupPanel::updateRho() {
  if (method_->currentData().toString() != "gt") {
    rhoInfo_->setStyleSheet("");
    rhoInfo_->setText("rho applies to GreenTrainer; this method trains a fixed set of parameters.");
    return;
  }
  const ChainSummary* chain = preview_ ? &preview_->chain : model_ ? &model_->chain : nullptr;
  if (!chain) {
    rhoInfo_->setStyleSheet("");
    rhoInfo_->setText("Open a model to see what this rho allows.");
    return;
  }
  try {
    const auto problem = chain->problem(rho_->value(), preview_ ? preview_->importance : std::vector<double>{});
    const auto r = selectTensors(problem);
    const auto n = std::count(r.mask.begin(), r.mask.end(), true);
    rhoInfo_->setStyleSheet("");
    rhoInfo_->setText(preview_ ? QString("Selects %1/%2 tensors: %3% of Full FT's FLOPs per step (importance from one batch, loss %4).")
                                     .arg(n)
                                     .arg(r.mask.size())
                                     .arg(100 * r.fraction, 0, 'f', 1)
                                     .arg(preview_->loss, 0, 'f', 3)
                               : QString("Allows up to %1/%2 tensors at %3% of Full FT's FLOPs per step (Preview selection ranks them by importance).")
                                     .arg(n)
                                     .arg(r.mask.size())
                                     .arg(100 * r.fraction, 0, 'f', 1));
  } catch (const std::exception& e) {
    rhoInfo_->setStyleSheet("color: #b2182b");
    rhoInfo_->setText(QString::fromStdString(e.what()));
  }
}

}  // namespace gt::ui
