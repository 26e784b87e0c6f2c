#include "core/train/run_replay.h"

namespace gt {

SelectionEvent selectionEventOf(const SelectionRecord& s, const std::vector<bool>& mask, const FlopsProfile& reference) {
  SelectionEvent e{s.epoch, s.step, s.rho, mask, s.importanceScaled, {}, {}, s.predictedFraction};
  for (const auto& t : reference.tensors) e.dw.push_back(t.dw.total()), e.reach.push_back(t.reach.total());
  return e;
}

void replayRecord(const RunRecord& record, const FlopsProfile& reference, int64_t totalSteps, int64_t resumedSteps, int64_t evalExamples,
                  bool gtRho, RunObserver& observer) {
  size_t nextSelection = 0;
  double cum = 0, cumFull = 0;
  auto selectionsUpTo = [&](int64_t step) {
    for (; nextSelection < record.selections.size() && record.selections[nextSelection].step <= step; ++nextSelection) {
      const auto& s = record.selections[nextSelection];
      std::vector<bool> mask(reference.tensors.size(), false);
      for (const auto& name : s.selected) mask[size_t(reference.indexOf(name))] = true;
      observer.selectionMade(selectionEventOf(s, mask, reference));
    }
  };
  for (size_t i = 0; i < record.steps.size(); ++i) {
    const StepRecord& sr = record.steps[i];
    selectionsUpTo(sr.step);
    cum += sr.flops;
    cumFull += sr.flopsFull;
    const double rho = gtRho && nextSelection > 0 ? record.selections[nextSelection - 1].rho : 1.0;
    StepEvent e{sr.step, sr.epoch, totalSteps, sr.loss, sr.lr, sr.flops, sr.flopsFull, cum, cumFull, rho,
                (sr.forwardMs + sr.backwardMs + sr.optimizerMs) / 1000, sr.tokens};
    copyStepPhases(sr, e);
    observer.stepDone(e);
    const bool epochEnds = i + 1 == record.steps.size() || record.steps[i + 1].epoch != sr.epoch;
    for (const auto& er : record.epochs)
      if (epochEnds && er.epoch == sr.epoch) {  // a partial epoch has no record
        if (er.evalLoss >= 0) observer.evaluationDone({er.epoch, er.evalLoss, evalExamples});
        observer.epochDone({er.epoch, er.meanLoss, er.seconds});
      }
  }
  selectionsUpTo(resumedSteps - 1);
  for (const auto& g : record.generationEvals) observer.generationEvalDone(g);
}

}  // namespace gt
