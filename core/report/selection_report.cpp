#include "core/report/selection_report.h"

#include <algorithm>
#include <map>
#include <set>
#include <sstream>

#include "core/model/tensor_names.h"
#include "core/report/comparison.h"
#include "core/util/error.h"

namespace gt {
namespace {

std::string percent(double share) { return fixedDigits(100 * share, 1) + "%"; }

int64_t elementsOf(const ChainEntry& tensor) {
  int64_t n = 1;
  for (const int64_t d : tensor.shape) n *= d;
  return n;
}

// "1, 3, 5-7": ascending layer indices with consecutive runs joined.
std::string layerRanges(const std::vector<int64_t>& layers) {
  std::string out;
  for (size_t i = 0; i < layers.size();) {
    size_t j = i;
    while (j + 1 < layers.size() && layers[j + 1] == layers[j] + 1) ++j;
    if (!out.empty()) out += ", ";
    out += std::to_string(layers[i]);
    if (j > i) out += "-" + std::to_string(layers[j]);
    i = j + 1;
  }
  return out.empty() ? "-" : out;
}

}  // namespace

std::vector<SelectionSummary> summariseSelections(const RunRecord& record, const std::string& run) {
  const std::string method = record.config.value("method", "");
  check(method == "gt", run + ": a " + (method.empty() ? std::string("run of unknown method") : "--method " + method + " run") +
                            " makes no GreenTrainer selections (this report explains --method gt runs)");
  check(!record.selections.empty(), run + ": the record has no selections (the run stopped before its first one)");
  check(record.referenceTFull > 0, run + ": reference_shape.t_full must be positive");
  std::map<std::string, size_t> position;
  double parameters = 0;
  for (size_t i = 0; i < record.tensors.size(); ++i) {
    position[record.tensors[i].name] = i;
    parameters += double(elementsOf(record.tensors[i]));
  }

  std::vector<SelectionSummary> rows;
  std::set<size_t> previous;
  for (const auto& s : record.selections) {
    check(s.importanceScaled.size() == record.tensors.size(),
          run + ": selection at step " + std::to_string(s.step) + " has " + std::to_string(s.importanceScaled.size()) +
              " importance values for " + std::to_string(record.tensors.size()) + " tensors");
    SelectionSummary r;
    r.epoch = s.epoch;
    r.step = s.step;
    r.rho = s.rho;
    r.tensors = int64_t(s.selected.size());
    const double budget = s.rho * record.referenceTFull - record.referenceTFp;  // FLOPs left for the backward pass
    r.backwardBudget = budget / record.referenceTFull;

    std::set<size_t> chosen;
    std::set<int64_t> layers, decoderBlocks, encoderBlocks;
    double reach = 0, dw = 0, chosenParameters = 0;
    for (const auto& name : s.selected) {
      const auto it = position.find(name);
      check(it != position.end(), run + ": selection at step " + std::to_string(s.step) + " names '" + name + "', which is not in its tensor list");
      chosen.insert(it->second);
      const auto& t = record.tensors[it->second];
      reach = std::max(reach, t.reach);  // reach(m) = max over chosen (paper Eq. 4)
      dw += t.dw;
      chosenParameters += double(elementsOf(t));
      if (const int64_t layer = decoderLayerOf(name); layer >= 0) layers.insert(layer);
      if (const auto b = encoderDecoderBlockOf(name); b.index >= 0) (b.stack == "decoder" ? decoderBlocks : encoderBlocks).insert(b.index);
    }
    r.layers.assign(layers.begin(), layers.end());
    r.blocks = layerRanges(r.layers);
    if (!decoderBlocks.empty() || !encoderBlocks.empty()) {
      r.blocks.clear();
      for (const auto& [stack, blocks] : {std::pair{"decoder", &decoderBlocks}, std::pair{"encoder", &encoderBlocks}})
        if (!blocks->empty()) r.blocks += (r.blocks.empty() ? "" : "; ") + std::string(stack) + " " + layerRanges({blocks->begin(), blocks->end()});
    }
    if (parameters > 0) r.parameterShare = chosenParameters / parameters;
    if (budget > 0) {
      r.reachShare = reach / budget;
      r.dwShare = dw / budget;
    }

    size_t top = 0;
    for (size_t i = 0; i < record.tensors.size(); ++i) {
      const double importance = std::max(0.0, s.importanceScaled[i]);
      const auto& t = record.tensors[i];
      const bool fitsAlone = t.reach + t.dw <= budget;
      r.importanceAll += importance;
      if (fitsAlone) {
        r.importanceReachable += importance;
        const int64_t layer = decoderLayerOf(t.name);
        if (layer >= 0 && (r.deepestReachableLayer < 0 || layer < r.deepestReachableLayer)) r.deepestReachableLayer = layer;
        // Output first: the last block a fitting tensor belongs to is the deepest reachable one.
        if (const auto b = encoderDecoderBlockOf(t.name); b.index >= 0) r.deepestReachable = "from " + b.stack + " " + std::to_string(b.index);
      }
      if (chosen.count(i)) r.importanceTaken += importance;
      if (s.importanceScaled[i] > s.importanceScaled[top]) top = i;
    }
    if (r.deepestReachable.empty()) r.deepestReachable = r.deepestReachableLayer >= 0 ? "from " + std::to_string(r.deepestReachableLayer) : "-";
    r.mostImportant = record.tensors.empty() ? "" : record.tensors[top].name;
    r.mostImportantTaken = chosen.count(top) > 0;
    if (!record.tensors.empty() && budget > 0) r.mostImportantCost = (record.tensors[top].reach + record.tensors[top].dw) / budget;

    if (!rows.empty()) {
      size_t both = 0;
      for (size_t i : chosen) both += previous.count(i);
      const size_t either = chosen.size() + previous.size() - both;
      r.jaccardPrevious = either ? double(both) / double(either) : 1.0;
    }
    previous = chosen;
    rows.push_back(r);
  }
  // A mask trains from its selection's step to the next selection's (the last one: to the end of
  // the steps recorded, so a cancelled run counts what it did).
  const auto stepsDone = int64_t(record.steps.size());
  for (size_t i = 0; i < rows.size(); ++i) {
    const int64_t end = i + 1 < rows.size() ? rows[i + 1].step : stepsDone;
    rows[i].stepsInForce = std::max<int64_t>(0, std::min(end, stepsDone) - rows[i].step);
  }
  return rows;
}

namespace {

struct RunTotals {
  size_t distinct = 0;
  int64_t topTaken = 0;
  double meanTakenAll = 0, meanTakenReachable = 0, meanJaccard = -1;
  int64_t steps = 0;
  double parameterUpdates = 0;  // sum of parameterShare x stepsInForce over all parameters x steps (Full FT: 1)
};

RunTotals totalsOf(const RunRecord& record, const std::vector<SelectionSummary>& rows) {
  RunTotals t;
  std::set<std::string> distinct;
  for (const auto& s : record.selections) distinct.insert(s.selected.begin(), s.selected.end());
  t.distinct = distinct.size();
  int64_t withAll = 0, withReachable = 0, pairs = 0;
  double jaccard = 0;
  for (const auto& r : rows) {
    t.topTaken += r.mostImportantTaken;
    if (r.importanceAll > 0) t.meanTakenAll += r.importanceTaken / r.importanceAll, ++withAll;
    if (r.importanceReachable > 0) t.meanTakenReachable += r.importanceTaken / r.importanceReachable, ++withReachable;
    if (r.jaccardPrevious >= 0) jaccard += r.jaccardPrevious, ++pairs;
    t.parameterUpdates += r.parameterShare * double(r.stepsInForce);
  }
  t.steps = int64_t(record.steps.size());
  if (t.steps > 0) t.parameterUpdates /= double(t.steps);
  if (withAll) t.meanTakenAll /= double(withAll);
  if (withReachable) t.meanTakenReachable /= double(withReachable);
  if (pairs) t.meanJaccard = jaccard / double(pairs);
  return t;
}

}  // namespace

std::string selectionReportMarkdown(const std::string& run, const RunRecord& record, const std::vector<SelectionSummary>& rows) {
  std::ostringstream out;
  const double forward = record.referenceTFp / record.referenceTFull;
  out << run << ": " << rows.size() << " selection" << (rows.size() == 1 ? "" : "s") << " over " << record.tensors.size()
      << " tensors; a step's forward pass is " << fixedDigits(forward, 3) << " of Full FT's FLOPs, so the backward budget is rho - "
      << fixedDigits(forward, 3) << " (costs at the reference shape " << record.referenceBatch << " x " << record.referenceSeq << ").\n\n";
  out << "| # | epoch | step | rho | tensors | layers | reachable layers | importance taken | reach | dw | unused | most important tensor "
         "| Jaccard |\n";
  out << "| ---: | ---: | ---: | ---: | ---: | --- | --- | ---: | ---: | ---: | ---: | --- | ---: |\n";
  for (size_t i = 0; i < rows.size(); ++i) {
    const auto& r = rows[i];
    const bool hasBudget = r.backwardBudget > 0;
    out << "| " << i + 1 << " | " << r.epoch + 1 << " | " << r.step << " | " << fixedDigits(r.rho, 2) << " | " << r.tensors << " | "
        << r.blocks << " | " << r.deepestReachable << " | "
        << (r.importanceAll > 0 ? percent(r.importanceTaken / r.importanceAll) : "-") << " | "
        << (hasBudget ? percent(r.reachShare) : "-") << " | " << (hasBudget ? percent(r.dwShare) : "-") << " | "
        << (hasBudget ? percent(1 - r.reachShare - r.dwShare) : "-") << " | " << r.mostImportant << " ("
        << (r.mostImportantTaken ? std::string("taken") : "left: alone " + percent(r.mostImportantCost) + " of the budget") << ") | "
        << (r.jaccardPrevious >= 0 ? fixedDigits(r.jaccardPrevious, 2) : "-") << " |\n";
  }
  const RunTotals t = totalsOf(record, rows);
  out << "\nDistinct tensors trained: " << t.distinct << " of " << record.tensors.size() << ". The most important tensor was taken in "
      << t.topTaken << " of " << rows.size() << " selections. Importance taken, mean: " << percent(t.meanTakenAll) << " of all, "
      << percent(t.meanTakenReachable) << " of the tensors that fit the budget alone";
  if (t.meanJaccard >= 0) out << "; mean Jaccard index between consecutive selections: " << fixedDigits(t.meanJaccard, 2);
  out << ".\n";
  if (t.steps > 0)
    out << "Parameter updates: " << percent(t.parameterUpdates) << " of Full FT's (the chosen tensors' parameters times the steps each "
        << "selection was in force, over all " << record.tensors.size() << " tensors' parameters times " << t.steps << " steps).\n";
  return out.str();
}

nlohmann::ordered_json selectionReportJson(const std::string& run, const RunRecord& record, const std::vector<SelectionSummary>& rows) {
  nlohmann::ordered_json selections = nlohmann::ordered_json::array();
  for (const auto& r : rows)
    selections.push_back({{"epoch", r.epoch},
                          {"step", r.step},
                          {"rho", r.rho},
                          {"tensors", r.tensors},
                          {"layers", r.layers},
                          {"blocks", r.blocks},
                          {"deepest_reachable_layer", r.deepestReachableLayer},
                          {"backward_budget", r.backwardBudget},
                          {"reach_share", r.reachShare},
                          {"dw_share", r.dwShare},
                          {"importance_taken", r.importanceTaken},
                          {"importance_all", r.importanceAll},
                          {"importance_reachable", r.importanceReachable},
                          {"most_important", r.mostImportant},
                          {"most_important_taken", r.mostImportantTaken},
                          {"most_important_cost", r.mostImportantCost},
                          {"parameter_share", r.parameterShare},
                          {"steps_in_force", r.stepsInForce},
                          {"jaccard_previous", r.jaccardPrevious >= 0 ? nlohmann::ordered_json(r.jaccardPrevious) : nlohmann::ordered_json()}});
  const RunTotals t = totalsOf(record, rows);
  return {{"run", run},
          {"tensors", record.tensors.size()},
          {"forward_fraction", record.referenceTFp / record.referenceTFull},
          {"distinct_tensors_trained", t.distinct},
          {"most_important_taken", t.topTaken},
          {"steps", t.steps},
          {"parameter_updates", t.parameterUpdates},
          {"selections", selections}};
}

}  // namespace gt
