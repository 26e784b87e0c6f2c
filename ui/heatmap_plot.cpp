#include "ui/heatmap_plot.h"

#include <QToolTip>
#include <algorithm>
#include <cmath>

#include "ui/chain_layers.h"

namespace gt::ui {

HeatmapPlot::HeatmapPlot(QWidget* parent) : QCustomPlot(parent) {
  setMouseTracking(true);
  map_ = new QCPColorMap(xAxis, yAxis);
  map_->setInterpolate(false);
  map_->setTightBoundary(true);
  QCPColorGradient gradient;
  gradient.clearColorStops();
  gradient.setColorStopAt(0.0, QColor(245, 245, 245));
  gradient.setColorStopAt(0.4999, QColor(150, 150, 150));
  gradient.setColorStopAt(0.5, QColor(199, 233, 192));
  gradient.setColorStopAt(1.0, QColor(0, 109, 44));
  gradient.setLevelCount(200);
  map_->setGradient(gradient);
  map_->setDataRange(QCPRange(0, 1));
  yAxis->setRangeReversed(true);
  xAxis->setLabel("selection, at optimizer step");
  yAxis->setLabel("tensor (chain order, output at the top)");
  plotLayout()->insertRow(0);
  plotLayout()->addElement(0, 0, new QCPTextElement(this, "Tensor selection\ngreen: trained, shade: importance", QFont("sans", 10, QFont::Bold)));
  showRecord({});
}

void HeatmapPlot::showRecord(const RunRecord& record) {
  tensors_ = record.tensors;
  selections_ = record.selections;
  rows_ = int(record.tensors.size());
  columns_ = int(record.selections.size());
  const auto masks = selectionMasks(record);
  map_->data()->clear();
  map_->data()->setSize(std::max(columns_, 1), std::max(rows_, 1));
  map_->data()->setRange(QCPRange(0, std::max(columns_ - 1, 0)), QCPRange(0, std::max(rows_ - 1, 0)));
  map_->data()->fill(std::nan(""));
  for (int c = 0; c < columns_; ++c) {
    const auto& imp = record.selections[size_t(c)].importanceScaled;
    for (int r = 0; r < rows_; ++r) {
      const double i = size_t(r) < imp.size() ? std::clamp(imp[size_t(r)], 0.0, 1.0) : 0.0;
      map_->data()->setCell(c, r, masks[size_t(c)][size_t(r)] ? 0.5 + 0.5 * i : 0.45 * i);
    }
  }
  auto yTicks = QSharedPointer<QCPAxisTickerText>::create();
  for (const auto& g : chainGroups(record.tensors)) yTicks->addTick((g.first + g.last) / 2.0, g.label);
  yAxis->setTicker(yTicks);
  // One label per selection while they fit (about 45 px each), then every k-th.
  auto xTicks = QSharedPointer<QCPAxisTickerText>::create();
  const int every = std::max(1, columns_ * 45 / std::max(axisRect()->width(), 200));
  for (int c = 0; c < columns_; c += every) xTicks->addTick(c, QString::number(record.selections[size_t(c)].step));
  xAxis->setTicker(xTicks);
  xAxis->setRange(-0.5, std::max(columns_, 1) - 0.5);
  yAxis->setRange(-0.5, std::max(rows_, 1) - 0.5);
  replot(QCustomPlot::rpQueuedReplot);
}

double HeatmapPlot::cellValue(int column, int row) const {
  if (column < 0 || row < 0 || column >= columns_ || row >= rows_) return std::nan("");
  return map_->data()->cell(column, row);
}

QString HeatmapPlot::cellDescription(int column, int row) const {
  if (column < 0 || row < 0 || column >= columns_ || row >= rows_) return {};
  const auto& t = tensors_[size_t(row)];
  const auto& s = selections_[size_t(column)];
  const double dy = chainDy(tensors_)[size_t(row)];
  const double imp = size_t(row) < s.importanceScaled.size() ? s.importanceScaled[size_t(row)] : 0.0;
  return QString("%1\nselection %2 (epoch %3, step %4, rho %5)\ndw %6 GFLOPs, dy %7 GFLOPs, reach %8 GFLOPs\nimportance %9\n%10")
      .arg(QString::fromStdString(t.name))
      .arg(column + 1)
      .arg(s.epoch + 1)
      .arg(s.step)
      .arg(s.rho, 0, 'f', 2)
      .arg(t.dw / 1e9, 0, 'f', 3)
      .arg(dy / 1e9, 0, 'f', 3)
      .arg(t.reach / 1e9, 0, 'f', 3)
      .arg(imp, 0, 'f', 4)
      .arg(isSelectedValue(cellValue(column, row)) ? "selected: trained" : "not selected: frozen");
}

bool HeatmapPlot::cellAt(const QPointF& pos, int* column, int* row) const {
  const double x = xAxis->pixelToCoord(pos.x()), y = yAxis->pixelToCoord(pos.y());
  *column = int(std::lround(x));
  *row = int(std::lround(y));
  return *column >= 0 && *row >= 0 && *column < columns_ && *row < rows_ && axisRect()->rect().contains(pos.toPoint());
}

void HeatmapPlot::mouseMoveEvent(QMouseEvent* event) {
  int c = 0, r = 0;
  if (cellAt(event->position(), &c, &r))
    QToolTip::showText(event->globalPosition().toPoint(), cellDescription(c, r), this);
  else
    QToolTip::hideText();
  QCustomPlot::mouseMoveEvent(event);
}

void HeatmapPlot::mousePressEvent(QMouseEvent* event) {
  int c = 0, r = 0;
  if (cellAt(event->position(), &c, &r)) Q_EMIT selectionClicked(c);
  QCustomPlot::mousePressEvent(event);
}

}  // namespace gt::ui
