#include "ui/method_options.h"

#include <QComboBox>
#include <QDoubleSpinBox>
#include <QFormLayout>
#include <QLabel>
#include <QLineEdit>
#include <QSpinBox>
#include <climits>

namespace gt::ui {
namespace {

struct MethodEntry {
  const char* method;
  const char* name;
  const char* explanation;
};

// The order of the studio's method list.
const MethodEntry kMethods[] = {
    {"gt", "GreenTrainer (adaptive)",
     "Each epoch, measures how much training each tensor would reduce the loss and trains the most useful set whose FLOPs fit rho"},
    {"full", "Full fine-tuning", "Trains every tensor: the baseline whose FLOPs rho is a fraction of"},
    {"top2", "FT-Top2 (final norm + output embedding)",
     "The paper's naive baseline: trains only the last norm and the output (tied: input) embedding"},
    {"top-blocks", "Top blocks (last decoder blocks)", "Freeze tuning: trains the last decoder blocks and the final norm"},
    {"lisa", "LISA (random layers)", "Every few steps, a few randomly sampled decoder layers train, with the embeddings, final norm and head"},
    {"badam", "BAdam (one layer at a time)", "Block coordinate descent: one decoder layer trains at a time, switching every few steps"},
    {"lora", "LoRA", "Trains low-rank adapters beside the attention projections; the model's own weights stay frozen"},
    {"prefix", "Prefix tuning", "Trains virtual key/value tokens in front of every layer's attention; the model stays frozen"},
};

QSpinBox* spin(const char* name, int minimum, const QString& tip) {
  auto* box = new QSpinBox;
  box->setObjectName(name);
  box->setRange(minimum, INT_MAX);
  box->setToolTip(tip);
  return box;
}

QDoubleSpinBox* doubleSpin(const char* name, double minimum, double maximum, int decimals, double step, const QString& tip) {
  auto* box = new QDoubleSpinBox;
  box->setObjectName(name);
  box->setDecimals(decimals);
  box->setRange(minimum, maximum);
  box->setSingleStep(step);
  box->setToolTip(tip);
  return box;
}

QLabel* note(const QString& text) {
  auto* label = new QLabel(text);
  label->setWordWrap(true);
  return label;
}

}  // namespace

void fillMethodList(QComboBox* box) {
  for (const auto& m : kMethods) {
    box->addItem(m.name, QString(m.method));
    box->setItemData(box->count() - 1, QString(m.explanation), Qt::ToolTipRole);
  }
}

bool methodNeedsDecoderOnly(const QString& method) {
  return method == "top-blocks" || method == "lisa" || method == "badam" || method == "prefix";
}

MethodOptions::MethodOptions(QWidget* parent) : QStackedWidget(parent) {
  setObjectName("methodOptions");
  auto form = [this](const char* method) {
    auto* w = new QWidget;
    w->setObjectName(QString("options-") + method);
    auto* f = new QFormLayout(w);
    f->setContentsMargins(0, 0, 0, 0);
    addWidget(w);
    return f;
  };

  auto* gt = form("gt");
  reselectEpochs_ = spin("reselectEveryEpochs", 1, "Measure importance and select again at the start of every N-th epoch (the paper: 1)");
  reselectSteps_ = spin("reselectEverySteps", 0, "Also select again every N optimizer steps inside an epoch (0: only at epoch starts)");
  reselectSteps_->setSpecialValueText("never");
  importanceBatches_ = spin("importanceBatches", 1, "Measure importance on N batches, from their mean gradient (the paper: 1)");
  gt->addRow("Re-select every:", reselectEpochs_);
  reselectEpochs_->setSuffix(" epoch(s)");
  gt->addRow("and every:", reselectSteps_);
  reselectSteps_->setSuffix(" step(s)");
  gt->addRow("Importance on:", importanceBatches_);
  importanceBatches_->setSuffix(" batch(es)");

  form("full")->addRow(note("Full fine-tuning has no options: every tensor trains at every step."));
  form("top2")->addRow(note("FT-Top2 has no options: the final norm and the output embedding train."));

  topBlocks_ = spin("topBlocks", 1, "How many of the last decoder blocks train, with the final norm");
  form("top-blocks")->addRow("Last blocks:", topBlocks_);

  auto* lisa = form("lisa");
  lisaLayers_ = spin("lisaLayers", 1, "Decoder layers sampled at random each period (the embeddings, final norm and head always train)");
  lisaInterval_ = spin("lisaInterval", 1, "Optimizer steps between two samplings");
  lisa->addRow("Layers sampled:", lisaLayers_);
  lisa->addRow("Every:", lisaInterval_);
  lisaInterval_->setSuffix(" step(s)");

  auto* badam = form("badam");
  badamInterval_ = spin("badamInterval", 1, "Optimizer steps before training switches to the next decoder layer");
  badamOrder_ = new QComboBox;
  badamOrder_->setObjectName("badamOrder");
  for (const char* order : {"ascending", "descending", "random"}) badamOrder_->addItem(order, QString(order));
  badamOrder_->setToolTip("The order in which the decoder layers take their turn");
  badam->addRow("Switch every:", badamInterval_);
  badamInterval_->setSuffix(" step(s)");
  badam->addRow("Order:", badamOrder_);

  auto* lora = form("lora");
  loraRank_ = spin("loraRank", 1, "Rank r of each adapter (A: r x in, B: out x r)");
  loraAlpha_ = doubleSpin("loraAlpha", 0.001, 1e6, 3, 1, "The adapters' output is scaled by alpha / r");
  loraDropout_ = doubleSpin("loraDropout", 0, 0.999, 3, 0.05, "Dropout on the adapters' input during training");
  loraTargets_ = new QLineEdit;
  loraTargets_->setObjectName("loraTargets");
  loraTargets_->setPlaceholderText("the family's query and value projections");
  loraTargets_->setToolTip("Module names to adapt, comma-separated (e.g. q_proj,v_proj); empty: the model family's query and value projections");
  lora->addRow("Rank:", loraRank_);
  lora->addRow("Alpha:", loraAlpha_);
  lora->addRow("Dropout:", loraDropout_);
  lora->addRow("Targets:", loraTargets_);

  prefixTokens_ = spin("prefixTokens", 1, "Virtual tokens in front of every layer's attention keys and values");
  form("prefix")->addRow("Virtual tokens:", prefixTokens_);

  for (auto* box : {reselectEpochs_, reselectSteps_, importanceBatches_, topBlocks_, lisaLayers_, lisaInterval_, badamInterval_, loraRank_, prefixTokens_})
    connect(box, &QSpinBox::valueChanged, this, &MethodOptions::changed);
  for (auto* box : {loraAlpha_, loraDropout_}) connect(box, &QDoubleSpinBox::valueChanged, this, &MethodOptions::changed);
  connect(badamOrder_, &QComboBox::currentIndexChanged, this, &MethodOptions::changed);
  connect(loraTargets_, &QLineEdit::editingFinished, this, &MethodOptions::changed);
  setConfig(RunConfig{});
}

QWidget* MethodOptions::page(const QString& method) { return findChild<QWidget*>("options-" + method); }

void MethodOptions::showMethod(const QString& method) {
  if (QWidget* p = page(method)) setCurrentWidget(p);
  updateGeometry();
}

QSize MethodOptions::sizeHint() const { return currentWidget() ? currentWidget()->sizeHint() : QStackedWidget::sizeHint(); }

QSize MethodOptions::minimumSizeHint() const {
  return currentWidget() ? currentWidget()->minimumSizeHint() : QStackedWidget::minimumSizeHint();
}

void MethodOptions::setConfig(const RunConfig& c) {
  const QSignalBlocker block(this);  // not a user's edit
  reselectEpochs_->setValue(int(c.reselectEveryEpochs));
  reselectSteps_->setValue(int(c.reselectEverySteps));
  importanceBatches_->setValue(int(c.importanceBatches));
  topBlocks_->setValue(int(c.topBlocks));
  lisaLayers_->setValue(int(c.lisaLayers));
  lisaInterval_->setValue(int(c.lisaInterval));
  badamInterval_->setValue(int(c.badamInterval));
  badamOrder_->setCurrentIndex(std::max(0, badamOrder_->findData(QString::fromStdString(c.badamOrder))));
  loraRank_->setValue(int(c.loraRank));
  loraAlpha_->setValue(c.loraAlpha);
  loraDropout_->setValue(c.loraDropout);
  loraTargets_->setText(QString::fromStdString(c.loraTargets));
  prefixTokens_->setValue(int(c.prefixTokens));
}

void MethodOptions::applyTo(RunConfig& c) const {
  c.reselectEveryEpochs = reselectEpochs_->value();
  c.reselectEverySteps = reselectSteps_->value();
  c.importanceBatches = importanceBatches_->value();
  c.topBlocks = topBlocks_->value();
  c.lisaLayers = lisaLayers_->value();
  c.lisaInterval = lisaInterval_->value();
  c.badamInterval = badamInterval_->value();
  c.badamOrder = badamOrder_->currentData().toString().toStdString();
  c.loraRank = loraRank_->value();
  c.loraAlpha = loraAlpha_->value();
  c.loraDropout = loraDropout_->value();
  c.loraTargets = loraTargets_->text().trimmed().toStdString();
  c.prefixTokens = prefixTokens_->value();
}

}  // namespace gt::ui
