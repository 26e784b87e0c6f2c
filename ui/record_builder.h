// Builds a gt::RunRecord from the trainer's live events, so the views draw a running training
// and an opened run.json through the same code ("view it exactly as it was live").
#pragma once
#include "core/report/run_record.h"
#include "core/train/run_config.h"
#include "core/train/run_observer.h"

namespace gt::ui {

class RecordBuilder {
 public:
  void start(const RunConfig& config, const RunStartInfo& info);
  void addSelection(const SelectionEvent& e);
  void addStep(const StepEvent& e);
  void addEvaluation(const EvaluationEvent& e);  // arrives before its epoch's epochDone
  void addEpoch(const EpochEvent& e);
  void addGenerationEval(const GenerationEvalRecord& r);
  void setStatus(const std::string& status, const std::string& error = "");

  const RunRecord& record() const { return record_; }

 private:
  RunRecord record_;
  double pendingEvalLoss_ = -1;
  double epochFlops_ = 0, epochFlopsFull_ = 0;
};

}  // namespace gt::ui
