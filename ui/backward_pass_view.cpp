#include "ui/backward_pass_view.h"

#include <QComboBox>
#include <QHBoxLayout>
#include <QLabel>
#include <QPainter>
#include <QVBoxLayout>

#include "ui/chain_layers.h"

namespace gt::ui {

std::vector<BackwardOp> backwardOps(const RunRecord& record, const std::vector<bool>& mask, int first, int last) {
  const auto dy = chainDy(record.tensors);
  const auto summary = backwardSummary(record, mask);
  std::vector<BackwardOp> ops;
  for (int i = first; i <= last && i < int(record.tensors.size()); ++i) {
    const auto& t = record.tensors[size_t(i)];
    BackwardOp op{i, shortTensorName(t.name), false, mask.size() > size_t(i) && mask[size_t(i)], dy[size_t(i)], t.dw};
    // The gradient goes below tensor i when the next position is still within the reach paid for.
    op.dy = summary.deepest >= 0 && size_t(i + 1) < record.tensors.size() && record.tensors[size_t(i + 1)].reach <= summary.reach;
    ops.push_back(op);
  }
  return ops;
}

BackwardSummary backwardSummary(const RunRecord& record, const std::vector<bool>& mask) {
  BackwardSummary s;
  for (size_t i = 0; i < record.tensors.size() && i < mask.size(); ++i)
    if (mask[i]) {
      s.deepest = int(i);
      s.reach = std::max(s.reach, record.tensors[i].reach);
      s.dw += record.tensors[i].dw;
    }
  s.stepFlops = record.referenceTFp + s.dw + s.reach;
  s.fraction = record.referenceTFull > 0 ? s.stepFlops / record.referenceTFull : 0;
  return s;
}

BackwardPassView::BackwardPassView(QWidget* parent) : QWidget(parent) {
  auto* layout = new QVBoxLayout(this);
  auto* top = new QHBoxLayout;
  top->addWidget(new QLabel("Layer:"));
  layer_ = new QComboBox;
  top->addWidget(layer_);
  top->addStretch(1);
  layout->addLayout(top);
  summary_ = new QLabel;
  summary_->setWordWrap(true);
  summary_->setTextInteractionFlags(Qt::TextSelectableByMouse);
  layout->addWidget(summary_);
  layout->addStretch(1);
  connect(layer_, &QComboBox::currentIndexChanged, this, [this] { rebuild(); });
  setMinimumHeight(300);
}

void BackwardPassView::showSelection(const RunRecord& record, int selection) {
  record_ = record;
  const auto masks = selectionMasks(record);
  if (selection < 0 || selection >= int(masks.size())) selection = int(masks.size()) - 1;
  mask_ = selection >= 0 ? masks[size_t(selection)] : std::vector<bool>(record.tensors.size(), false);
  const QString current = layer_->currentText();
  const QSignalBlocker block(layer_);
  layer_->clear();
  for (const auto& g : chainGroups(record.tensors)) layer_->addItem(g.label, QPoint(g.first, g.last));
  int keep = layer_->findText(current);
  if (keep < 0) {
    // Default: the layer holding the deepest selected tensor, where the cost is decided.
    const auto s = backwardSummary(record, mask_);
    for (int i = 0; i < layer_->count(); ++i) {
      const QPoint range = layer_->itemData(i).toPoint();
      if (s.deepest >= range.x() && s.deepest <= range.y()) keep = i;
    }
  }
  layer_->setCurrentIndex(std::max(keep, 0));
  rebuild();
}

QString BackwardPassView::summaryText() const { return summary_->text(); }

void BackwardPassView::rebuild() {
  const QPoint range = layer_->currentData().toPoint();
  ops_ = layer_->count() ? backwardOps(record_, mask_, range.x(), range.y()) : std::vector<BackwardOp>{};
  const auto s = backwardSummary(record_, mask_);
  const std::string method = record_.config.is_object() ? record_.config.value("method", std::string("gt")) : std::string("gt");
  if (s.deepest < 0) {
    summary_->setText(record_.tensors.empty()   ? "Open a model, preview a selection or start a run to see its backward pass."
                      : method != "gt"          ? QString("This run (%1) trains a fixed set of parameters and makes no selections; "
                                                          "this view explains GreenTrainer's selections.")
                                                      .arg(QString::fromStdString(method))
                      : record_.selections.empty() ? "No selection yet: the first comes after the importance pass."
                                                   : "No tensor selected: only the forward pass runs.");
  } else {
    const auto& t = record_.tensors[size_t(s.deepest)];
    summary_->setText(QString("Deepest selected tensor: <b>%1</b>. Backprop must run every input gradient (dy) from the loss down to it, "
                              "selected or not: reach %2 GFLOPs. Weight gradients (dw) only for the selected tensors: %3 GFLOPs. "
                              "Step = forward %4 + dw + reach = %5 GFLOPs = <b>%6% of Full FT</b> (chain model, batch %7 x %8 tokens). "
                              "Tensors below it cost nothing in the backward pass.")
                          .arg(QString::fromStdString(t.name))
                          .arg(s.reach / 1e9, 0, 'f', 3)
                          .arg(s.dw / 1e9, 0, 'f', 3)
                          .arg(record_.referenceTFp / 1e9, 0, 'f', 3)
                          .arg(s.stepFlops / 1e9, 0, 'f', 3)
                          .arg(100 * s.fraction, 0, 'f', 1)
                          .arg(record_.referenceBatch)
                          .arg(record_.referenceSeq));
  }
  update();
}

void BackwardPassView::paintEvent(QPaintEvent*) {
  QPainter p(this);
  p.setRenderHint(QPainter::Antialiasing);
  const int top = summary_->geometry().bottom() + 16, rowH = 34, left = 16, nameW = 240, boxW = 170;
  p.setFont(QFont("sans", 9, QFont::Bold));
  p.drawText(QRect(left, top, nameW, 20), Qt::AlignLeft, "tensor (gradient flows down)");
  p.drawText(QRect(left + nameW, top, boxW, 20), Qt::AlignCenter, "weight gradient dw");
  p.drawText(QRect(left + nameW + boxW + 10, top, boxW, 20), Qt::AlignCenter, "input gradient dy");
  p.setFont(QFont("sans", 9));
  int y = top + 24;
  for (const auto& op : ops_) {
    p.setPen(Qt::black);
    p.drawText(QRect(left, y, nameW, rowH - 6), Qt::AlignLeft | Qt::AlignVCenter, op.name);
    const QRect dwBox(left + nameW, y, boxW, rowH - 6), dyBox(left + nameW + boxW + 10, y, boxW, rowH - 6);
    p.setPen(Qt::NoPen);
    p.setBrush(op.dw ? QColor(0, 109, 44) : QColor(230, 230, 230));
    p.drawRoundedRect(dwBox, 4, 4);
    // A parallel branch (q/k/v, gate/up) adds no reach of its own: its dy is paid with the branch
    // listed last in its level.
    const bool pays = op.dy && op.dyFlops > 0;
    p.setBrush(pays ? QColor(253, 174, 97) : op.dy ? QColor(254, 230, 206) : QColor(230, 230, 230));
    p.drawRoundedRect(dyBox, 4, 4);
    p.setPen(op.dw ? Qt::white : Qt::darkGray);
    p.drawText(dwBox, Qt::AlignCenter, op.dw ? QString("computed, %1 GF").arg(op.dwFlops / 1e9, 0, 'f', 3) : QString("skipped (frozen)"));
    p.setPen(op.dy ? Qt::black : Qt::darkGray);
    p.drawText(dyBox, Qt::AlignCenter,
               pays ? QString("runs, %1 GF").arg(op.dyFlops / 1e9, 0, 'f', 3) : op.dy ? QString("parallel branch") : QString("not needed"));
    y += rowH;
  }
}

}  // namespace gt::ui
