#include "core/train/step_selection.h"

#include <chrono>

#include "core/green/importance.h"
#include "core/green/selector.h"
#include "core/train/layer_schedules.h"
#include "core/train/mixed_precision.h"

namespace gt {
namespace {

// The record's common part: the selected tensors' names and the predicted cost of a step with the mask.
SelectionRecord recordOfMask(const std::vector<bool>& mask, const FlopsProfile& reference, int64_t epoch, int64_t step, double rho) {
  SelectionRecord s;
  s.epoch = epoch;
  s.step = step;
  s.rho = rho;
  for (size_t i = 0; i < mask.size(); ++i)
    if (mask[i]) s.selected.push_back(reference.tensors[i].name);
  s.predictedFraction = reference.stepFlops(mask).total() / reference.full.total();
  return s;
}

// Predicted FLOPs of one importance pass: forward + backward down to the cutoff, twice when the
// gradient is taken at w + Δw.
double importanceFlops(const FlopsProfile& p, size_t cutoff, bool twoPasses) {
  if (cutoff == 0) return 0;
  std::vector<bool> mask(p.tensors.size(), false);
  for (size_t i = 0; i < cutoff; ++i) mask[i] = true;
  return p.chainFlops(mask).total() * (twoPasses ? 2 : 1);
}

}  // namespace

StepSelection greenTrainerSelection(LanguageModel& model, const AdamW& optimizer, const std::vector<Batch>& batches, const RunConfig& c,
                                    const std::string& precision, double rho, const FlopsProfile& reference, int64_t epoch, int64_t step) {
  auto profileOf = [&](const Batch& b) { return profileFlops(model.config(), b.size(), b.seq(), c.gradientCheckpointing, b.decoderSeq()); };
  // Costs at the step's own shape: the budget is a fraction of what this batch costs with Full FT.
  const FlopsProfile profile = profileOf(batches.front());
  const size_t cutoff = c.earlyStop ? earlyStopCutoff(profile, rho) : profile.tensors.size();
  const auto device = batches.front().inputIds.device();
  const auto imp = [&] {
    AutocastGuard autocast(precision, device, /*weightsChangeInside=*/true);  // in the training precision, at w and w + Δw
    return computeImportance(model, optimizer, profile, cutoff, batches, {c.importance, c.importanceGradAt});
  }();
  const auto selStart = std::chrono::steady_clock::now();
  SelectionProblem problem{profile.forward.total(), profile.full.total(), rho, c.tq, {}};
  for (size_t i = 0; i < profile.tensors.size(); ++i)
    problem.tensors.push_back({profile.tensors[i].name, profile.tensors[i].dw.total(), profile.tensors[i].reach.total(),
                               i < cutoff ? imp.scaled[i] : 0.0});
  const auto result = selectTensors(problem, c.solver);
  const double selectionMs = std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - selStart).count();
  StepSelection out{result.mask, recordOfMask(result.mask, reference, epoch, step, rho)};
  SelectionRecord& s = out.record;
  s.selectionMs = selectionMs;
  s.importanceRaw = imp.raw;
  s.importanceScaled = imp.scaled;
  s.importanceMs = imp.timeMs;
  s.importancePeakBytes = imp.peakExtraBytes;
  s.cutoff = int64_t(imp.cutoff);
  for (const auto& b : batches) s.importanceFlops += importanceFlops(profileOf(b), imp.cutoff, c.importanceGradAt == "update");
  return out;
}

StepSelection layerScheduleSelection(const RunConfig& c, const FlopsProfile& reference, int64_t numLayers, int64_t round, int64_t epoch,
                                     int64_t step) {
  auto mask = c.method == "lisa" ? lisaMask(reference, numLayers, c.lisaLayers, c.seed, round)
                                 : badamMask(reference, numLayers, c.badamOrder, c.seed, round);
  StepSelection out{mask, recordOfMask(mask, reference, epoch, step, 1.0)};
  out.record.importanceRaw.assign(mask.size(), 0.0);  // a schedule, not importance, chose these
  out.record.importanceScaled.assign(mask.size(), 0.0);
  return out;
}

}  // namespace gt
