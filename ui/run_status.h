// The status bar's text: a running training's progress line, or a summary of the record shown.
// Plain functions of plain values, so they are tested without a window.
#pragma once
#include <QString>
#include <cstdint>

#include "core/report/run_record.h"

namespace gt::ui {

// "m:ss", or "h:mm:ss" from an hour on.
QString formatDuration(double seconds);

struct LiveStatus {
  bool paused = false;
  int64_t epoch = 0, epochs = 0;  // epoch: 0-based
  int64_t done = 0, total = 0;    // steps
  double elapsedSeconds = 0;
  double tokensPerSecond = 0;
  int64_t peakMemoryBytes = -1;  // -1: not measured
  double energyJoules = -1;      // -1: not measured
  QString saving;                // the FLOPs plot's saving text; empty before the first step
};
// "training | epoch 1/2 | step 10/100 | ETA 1:30 | 512 tokens/s | peak 1.20 GB | 12.0 J | <saving>"
QString liveStatusText(const LiveStatus& s);

// "run finished: <label>, 100 steps, 2 selections; <saving>; ROUGE-L 4.12 -> 25.57 on test; energy 1.2 kJ"
QString recordStatusText(const RunRecord& r, const QString& saving);

}  // namespace gt::ui
