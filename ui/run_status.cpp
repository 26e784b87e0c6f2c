#include "ui/run_status.h"

#include <QStringList>

#include "core/report/comparison.h"
#include "ui/training_curves.h"

namespace gt::ui {

QString formatDuration(double seconds) {
  const int s = int(seconds + 0.5);
  return s >= 3600 ? QString("%1:%2:%3").arg(s / 3600).arg(s / 60 % 60, 2, 10, QChar('0')).arg(s % 60, 2, 10, QChar('0'))
                   : QString("%1:%2").arg(s / 60).arg(s % 60, 2, 10, QChar('0'));
}

QString liveStatusText(const LiveStatus& s) {
  QString eta = "-";
  if (s.done > 0 && s.total > s.done) eta = formatDuration(s.elapsedSeconds / double(s.done) * double(s.total - s.done));
  return QString("%1 | epoch %2/%3 | step %4/%5 | ETA %6 | %7 tokens/s%8 | %9")
      .arg(s.paused ? "paused" : "training")
      .arg(s.epoch + 1)
      .arg(s.epochs)
      .arg(s.done)
      .arg(s.total)
      .arg(eta)
      .arg(s.tokensPerSecond, 0, 'f', 0)
      .arg((s.peakMemoryBytes < 0 ? QString() : QString(" | peak %1 GB").arg(double(s.peakMemoryBytes) / 1e9, 0, 'f', 2)) +
           (s.energyJoules < 0 ? QString() : " | " + QString::fromStdString(energyText(s.energyJoules))))
      .arg(s.saving.isEmpty() ? QString("preparing the first step...") : s.saving);
}

QString recordStatusText(const RunRecord& r, const QString& saving) {
  QStringList rouge;
  for (const auto& g : r.generationEvals) rouge << QString::number(100 * g.rougeL, 'f', 2);
  return QString("%1: %2, %3 steps, %4 selections%5%6%7")
      .arg(r.status == "preview" ? QString("selection preview") : QString("run %1").arg(QString::fromStdString(r.status)))
      .arg(runLabel(r))
      .arg(r.steps.size())
      .arg(r.selections.size())
      .arg(saving.isEmpty() ? QString() : "; " + saving)
      .arg(rouge.isEmpty() ? QString() : QString("; ROUGE-L %1 on %2").arg(rouge.join(" -> "), QString::fromStdString(r.generationEvals.back().split)))
      .arg(r.energyJoules < 0 ? QString() : "; energy " + QString::fromStdString(energyText(r.energyJoules)));
}

}  // namespace gt::ui
