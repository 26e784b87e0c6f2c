// Tensor selection (GREENTRAINER.md §4, paper §3.3 and Appendix A.2): choose the mask that
// maximises total importance subject to T_fp + sum m_i dw_i + reach(m) <= rho * T_full.
#pragma once
#include <string>
#include <vector>

namespace gt {

struct SelectionTensor {
  std::string name;
  double dw = 0;
  double reach = 0;
  double importance = 0;
};

struct SelectionProblem {
  double tFp = 0;
  double tFull = 0;
  double rho = 0.5;
  int64_t tq = 1000;                     // quantisation steps for T_full
  std::vector<SelectionTensor> tensors;  // output first, reach non-decreasing
};

struct SelectionResult {
  std::vector<bool> mask;
  double objective = 0;  // sum of importance of the selected tensors
  double flops = 0;      // exact FLOPs of the mask: T_fp + sum dw + max reach
  double fraction = 0;   // flops / T_full
  double timeMs = 0;
};

// "exact" (default), "paper" or "brute" (N <= 24). Throws gt::Error for rho outside (0, 1],
// rho below the forward share, or when not even the cheapest tensor fits (naming the smallest
// rho that works), and for malformed problems.
SelectionResult selectTensors(const SelectionProblem& problem, const std::string& solver = "exact");

// Exact FLOPs of a mask under the chain model.
double maskFlops(const SelectionProblem& problem, const std::vector<bool>& mask);

}  // namespace gt
