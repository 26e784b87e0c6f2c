#include "ui/training_curves.h"

namespace gt::ui {
namespace {

const QColor kRunColor(0, 109, 44), kRawColor(160, 210, 170), kReferenceColor(90, 90, 90), kOverlayColor(33, 102, 172),
    kRhoColor(203, 24, 29);

QCPTextElement* addTitle(QCustomPlot* plot, const QString& text) {
  plot->plotLayout()->insertRow(0);
  auto* title = new QCPTextElement(plot, text, QFont("sans", 10, QFont::Bold));
  plot->plotLayout()->addElement(0, 0, title);
  plot->legend->setVisible(true);
  plot->legend->setFont(QFont("sans", 8));
  plot->axisRect()->insetLayout()->setInsetAlignment(0, Qt::AlignTop | Qt::AlignRight);
  return title;
}

QCPGraph* addSeries(QCustomPlot* plot, const QString& name, const QPen& pen, const QVector<double>& x, const QVector<double>& y) {
  auto* g = plot->addGraph();
  g->setName(name);
  g->setPen(pen);
  g->setData(x, y, true);
  return g;
}

void verticalMarker(QCustomPlot* plot, double x, const QString& text, const QColor& color, double labelY) {
  auto* line = new QCPItemStraightLine(plot);
  line->point1->setCoords(x, 0);
  line->point2->setCoords(x, 1);
  line->setPen(QPen(color, 1, Qt::DotLine));
  auto* label = new QCPItemText(plot);
  label->position->setTypeY(QCPItemPosition::ptAxisRectRatio);
  label->position->setCoords(x, labelY);
  label->setPositionAlignment(Qt::AlignLeft | Qt::AlignTop);
  label->setText(text);
  label->setColor(color);
  label->setFont(QFont("sans", 8));
  label->setPadding(QMargins(3, 1, 1, 1));
}

// Epoch starts and rho changes, shared by both plots.
void addRunMarkers(QCustomPlot* plot, const RunRecord& run) {
  int64_t lastEpoch = 0;
  for (const auto& s : run.steps)
    if (s.epoch != lastEpoch) {
      lastEpoch = s.epoch;
      verticalMarker(plot, double(s.step), QString("epoch %1").arg(s.epoch + 1), kReferenceColor, 0.0);
    }
  for (size_t i = 1; i < run.selections.size(); ++i)
    if (run.selections[i].rho != run.selections[i - 1].rho)
      verticalMarker(plot, double(run.selections[i].step),
                     QString("rho %1 -> %2").arg(run.selections[i - 1].rho, 0, 'f', 2).arg(run.selections[i].rho, 0, 'f', 2), kRhoColor, 0.08);
}

}  // namespace

QString runLabel(const RunRecord& record) {
  if (!record.config.is_object()) return "run";
  const std::string method = record.config.value("method", std::string("gt"));
  if (method == "gt") return QString("GT rho %1").arg(record.config.value("rho", 0.0), 0, 'f', 2);
  if (method == "full") return "Full FT";
  if (method == "top2") return "FT-Top2";
  if (method == "top-blocks") return QString("Top %1 blocks").arg(record.config.value("top_blocks", int64_t(2)));
  if (method == "lisa") return "LISA";
  if (method == "badam") return "BAdam";
  if (method == "lora") return "LoRA";
  if (method == "prefix") return "Prefix-T";
  return QString::fromStdString(method);
}

QVector<double> smoothed(const QVector<double>& values, double alpha) {
  QVector<double> out;
  out.reserve(values.size());
  double ema = 0;
  for (int i = 0; i < values.size(); ++i) {
    ema = i == 0 ? values[i] : alpha * values[i] + (1 - alpha) * ema;
    out.push_back(ema);
  }
  return out;
}

LossPlot::LossPlot(QWidget* parent) : QCustomPlot(parent) {
  title_ = addTitle(this, "Training loss");
  xAxis->setLabel("optimizer step");
  yAxis->setLabel("loss (nats/token)");
  showRecord({});
}

void LossPlot::showRecord(const RunRecord& run, const RunRecord* overlay) {
  clearGraphs();
  clearItems();
  QVector<double> x, y;
  for (const auto& s : run.steps) x.push_back(double(s.step)), y.push_back(s.loss);
  const QString label = runLabel(run);
  addSeries(this, label + " (per step)", QPen(kRawColor, 1), x, y);
  addSeries(this, label + " (smoothed)", QPen(kRunColor, 2), x, smoothed(y));
  QVector<double> ex, ey;
  for (const auto& e : run.epochs)
    if (e.evalLoss >= 0) {
      int64_t lastStep = 0;
      for (const auto& s : run.steps)
        if (s.epoch == e.epoch) lastStep = s.step;
      ex.push_back(double(lastStep)), ey.push_back(e.evalLoss);
    }
  if (!ex.isEmpty()) {
    auto* g = addSeries(this, label + " (validation)", QPen(kRunColor, 1), ex, ey);
    g->setLineStyle(QCPGraph::lsNone);
    g->setScatterStyle(QCPScatterStyle(QCPScatterStyle::ssDiamond, 9));
  }
  if (overlay && !overlay->steps.empty()) {
    QVector<double> ox, oy;
    for (const auto& s : overlay->steps) ox.push_back(double(s.step)), oy.push_back(s.loss);
    addSeries(this, runLabel(*overlay) + " (smoothed, overlay)", QPen(kOverlayColor, 2, Qt::DashLine), ox, smoothed(oy));
  }
  addRunMarkers(this, run);
  title_->setText(run.steps.empty() ? QString("Training loss") : QString("Training loss\n%1, last step %2").arg(label).arg(run.steps.back().loss, 0, 'f', 3));
  rescaleAxes();
  xAxis->scaleRange(1.04, xAxis->range().center());
  yAxis->scaleRange(1.08, yAxis->range().center());
  replot(QCustomPlot::rpQueuedReplot);
}

FlopsPlot::FlopsPlot(QWidget* parent) : QCustomPlot(parent) {
  title_ = addTitle(this, "Cumulative training FLOPs");
  xAxis->setLabel("optimizer step");
  yAxis->setLabel("PFLOPs (cumulative)");
  showRecord({});
}

void FlopsPlot::showRecord(const RunRecord& run, const RunRecord* overlay) {
  clearGraphs();
  clearItems();
  auto cumulative = [](const RunRecord& r, bool full, QVector<double>& x, QVector<double>& y) {
    double sum = 0;
    for (const auto& s : r.steps) {
      sum += full ? s.flopsFull : s.flops;
      x.push_back(double(s.step)), y.push_back(sum / 1e15);
    }
  };
  QVector<double> x, y, fx, fy;
  cumulative(run, false, x, y);
  cumulative(run, true, fx, fy);
  addSeries(this, "Full FT on the same batches (predicted)", QPen(kReferenceColor, 2, Qt::DashLine), fx, fy);
  addSeries(this, runLabel(run), QPen(kRunColor, 2), x, y);
  if (overlay && !overlay->steps.empty()) {
    QVector<double> ox, oy;
    cumulative(*overlay, false, ox, oy);
    addSeries(this, runLabel(*overlay) + " (overlay)", QPen(kOverlayColor, 2, Qt::DashDotLine), ox, oy);
  }
  addRunMarkers(this, run);
  saving_.clear();
  if (!y.isEmpty() && fy.back() > 0)
    saving_ = QString("saved %1% of Full FT's FLOPs (%2 of %3 PFLOPs)")
                  .arg(100.0 * (1 - y.back() / fy.back()), 0, 'f', 1)
                  .arg(y.back(), 0, 'g', 4)
                  .arg(fy.back(), 0, 'g', 4);
  title_->setText(saving_.isEmpty() ? QString("Cumulative training FLOPs") : "Cumulative training FLOPs\n" + saving_);
  rescaleAxes();
  yAxis->setRangeLower(0);
  replot(QCustomPlot::rpQueuedReplot);
}

}  // namespace gt::ui
