// `greentrainer selections`: why a GreenTrainer run trained what it trained, from its record alone.
// For each selection: how much of the importance the chosen tensors carry (of all tensors, and of
// those the budget could reach at all), how the backward budget rho*T_full - T_fp (paper Eq. 4) is
// spent between reach (backpropagation down to the deepest chosen tensor) and the chosen tensors'
// weight gradients, which decoder layers are trained, whether the most important tensor was taken
// (and if not, what it alone would cost), and how much the mask changed since the previous
// selection. Costs are the record's per-tensor dw and reach at its reference batch shape. Over the
// whole run it says how many parameter updates were made, as a share of Full FT's (every parameter
// at every step): a tensor chosen for one epoch of two counts half.
#pragma once
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "core/report/run_record.h"

namespace gt {

struct SelectionSummary {
  int64_t epoch = 0, step = 0;
  double rho = 0;
  int64_t tensors = 0;                // chosen
  std::vector<int64_t> layers;        // decoder layers with a chosen tensor, ascending (decoder-only models)
  std::string blocks;                 // the same as text: "5-7", or an encoder-decoder's "decoder 0-1; encoder 1"; "-": none
  double backwardBudget = 0;          // (rho * T_full - T_fp) / T_full
  double reachShare = 0, dwShare = 0;  // of the backward budget
  // Sums of the positive scaled importance: of the chosen tensors, of every tensor, and of the
  // tensors whose reach + dw alone fit the budget.
  double importanceTaken = 0, importanceAll = 0, importanceReachable = 0;
  std::string mostImportant;          // the tensor with the largest scaled importance
  bool mostImportantTaken = false;
  double mostImportantCost = 0;       // its reach + dw, as a share of the backward budget
  int64_t deepestReachableLayer = -1; // the lowest layer index among tensors that fit alone; -1: none
  std::string deepestReachable;       // the same as text: "from 5", "from encoder 1"; "-": none
  double jaccardPrevious = -1;        // |A ∩ B| / |A ∪ B| with the previous selection; -1 for the first
  double parameterShare = 0;          // the chosen tensors' parameters / all the record's tensors' parameters
  int64_t stepsInForce = 0;           // steps trained with this mask: to the next selection or the run's last step
};

// Throws gt::Error naming `run` when the record holds no GreenTrainer selections or names a
// selected tensor that is not in its tensor list.
std::vector<SelectionSummary> summariseSelections(const RunRecord& record, const std::string& run);

// A Markdown table, one row per selection, and a closing line for the whole run.
std::string selectionReportMarkdown(const std::string& run, const RunRecord& record, const std::vector<SelectionSummary>& rows);
nlohmann::ordered_json selectionReportJson(const std::string& run, const RunRecord& record, const std::vector<SelectionSummary>& rows);

}  // namespace gt
