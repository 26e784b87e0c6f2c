#include "ui/record_builder.h"

namespace gt::ui {

void RecordBuilder::start(const RunConfig& config, const RunStartInfo& info) {
  record_ = RunRecord{};
  record_.config = config.toJson();
  record_.model = {{"model_type", info.modelType}, {"parameters", info.parameters}};
  record_.dataset = {{"used", info.trainExamples}};
  record_.tensors = info.tensors;
  record_.referenceTFp = info.forwardFlopsPerStep;
  record_.referenceTFull = info.fullFlopsPerStep;
  record_.referenceBatch = info.referenceBatch;
  record_.referenceSeq = info.referenceSeq;
  pendingEvalLoss_ = -1;
  epochFlops_ = epochFlopsFull_ = 0;
}

void RecordBuilder::addSelection(const SelectionEvent& e) {
  SelectionRecord s;
  s.epoch = e.epoch;
  s.step = e.step;
  s.rho = e.rho;
  for (size_t i = 0; i < e.mask.size() && i < record_.tensors.size(); ++i)
    if (e.mask[i]) s.selected.push_back(record_.tensors[i].name);
  s.importanceScaled = e.importance;
  s.predictedFraction = e.predictedFraction;
  record_.selections.push_back(std::move(s));
}

void RecordBuilder::addStep(const StepEvent& e) {
  StepRecord s;
  s.step = e.step;
  s.epoch = e.epoch;
  s.loss = e.loss;
  s.lr = e.lr;
  s.flops = e.flops;
  s.flopsFull = e.flopsFull;
  s.tokens = e.tokens;
  copyStepPhases(e, s);
  record_.steps.push_back(s);
  record_.totalFlops = e.cumulativeFlops;
  record_.totalFlopsFull = e.cumulativeFlopsFull;
  record_.wallSeconds += e.seconds;
  epochFlops_ += e.flops;
  epochFlopsFull_ += e.flopsFull;
}

void RecordBuilder::addEvaluation(const EvaluationEvent& e) { pendingEvalLoss_ = e.loss; }

void RecordBuilder::addEpoch(const EpochEvent& e) {
  record_.epochs.push_back({e.epoch, e.meanLoss, pendingEvalLoss_, epochFlops_, epochFlopsFull_, e.seconds});
  pendingEvalLoss_ = -1;
  epochFlops_ = epochFlopsFull_ = 0;
}

void RecordBuilder::addGenerationEval(const GenerationEvalRecord& r) { record_.generationEvals.push_back(r); }

void RecordBuilder::setStatus(const std::string& status, const std::string& error) {
  record_.status = status;
  record_.error = error;
}

}  // namespace gt::ui
