// The training loop's only outward channel (besides RunControl). Events carry plain values so
// the GUI can forward them through queued signals. Default implementations ignore the event.
#pragma once
#include <string>
#include <vector>

#include "core/report/run_record.h"

namespace gt {

struct RunStartInfo {
  std::string modelType;
  int64_t parameters = 0;
  int64_t trainExamples = 0;
  int64_t stepsPerEpoch = 0;
  int64_t totalSteps = 0;
  std::vector<ChainEntry> tensors;  // chain order, output first; dw/reach at the reference shape
  double forwardFlopsPerStep = 0;   // T_fp at the reference shape
  double fullFlopsPerStep = 0;      // T_full at the reference shape
  int64_t referenceBatch = 0, referenceSeq = 0;
  // A resumed run first replays the events of its earlier steps (selections, steps, epochs,
  // evaluations) so a viewer shows the whole run; those are the steps below this number.
  int64_t resumedSteps = 0;
};

struct SelectionEvent {
  int64_t epoch = 0, step = 0;
  double rho = 0;
  std::vector<bool> mask;  // chain order
  std::vector<double> importance;  // scaled
  std::vector<double> dw, reach;
  double predictedFraction = 0;
};

struct StepEvent {
  int64_t step = 0, epoch = 0, totalSteps = 0;
  double loss = 0, lr = 0;
  double flops = 0, flopsFull = 0;          // this step
  double cumulativeFlops = 0, cumulativeFlopsFull = 0;
  double rho = 0;
  double seconds = 0;  // wall time of the step (synchronised with the device)
  int64_t tokens = 0;
  int64_t peakMemoryBytes = -1;  // peak device memory so far (CUDA allocator, or process RSS on the CPU); -1: unknown
  double energyJoules = -1;      // energy the run has used so far (hardware counters, RunRecord::energyJoules); -1: not measured
  // The rest of the step's StepRecord, so that a record built from these events (the studio's live
  // record, which its CSV export writes mid-run) has the columns of the one the trainer writes.
  int64_t batch = 0, seq = 0;
  double forwardMs = 0, backwardMs = 0, optimizerMs = 0, stepMs = 0;
  bool skipped = false;
};

// The StepRecord columns a StepEvent carries beyond its own, copied either way: record -> event (the
// trainer's step, a replayed one), event -> record (the studio's live record). One list of fields.
template <class From, class To>
void copyStepPhases(const From& from, To& to) {
  to.batch = from.batch;
  to.seq = from.seq;
  to.forwardMs = from.forwardMs;
  to.backwardMs = from.backwardMs;
  to.optimizerMs = from.optimizerMs;
  to.stepMs = from.stepMs;
  to.skipped = from.skipped;
}

struct EpochEvent {
  int64_t epoch = 0;
  double meanLoss = 0;
  double seconds = 0;
};

struct EvaluationEvent {
  int64_t epoch = 0;
  double loss = 0;
  int64_t examples = 0;
};

class RunObserver {
 public:
  virtual ~RunObserver() = default;
  virtual void runStarted(const RunStartInfo&) {}
  virtual void selectionMade(const SelectionEvent&) {}
  virtual void stepDone(const StepEvent&) {}
  virtual void epochDone(const EpochEvent&) {}
  virtual void evaluationDone(const EvaluationEvent&) {}
  virtual void generationEvalDone(const GenerationEvalRecord&) {}
  virtual void logLine(const std::string&) {}
  virtual void finished(bool cancelled) {}
  virtual void failed(const std::string& error) {}
};

}  // namespace gt
