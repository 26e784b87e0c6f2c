#include "core/green/selector.h"

#include <chrono>
#include <cmath>
#include <cstdio>
#include <limits>

#include "core/util/error.h"

namespace gt {
namespace {

std::string fmt4(double v) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.4f", v);
  return buf;
}

// The quantised problem (§4): costs rounded up, budget rounded down, so every mask that fits
// the quantised budget also fits in exact FLOPs.
struct Quantised {
  std::vector<int64_t> dw, reach;
  int64_t budget = 0;
  double scale = 0;  // Z = T_q / T_full
};

Quantised quantise(const SelectionProblem& p) {
  Quantised q;
  q.scale = double(p.tq) / p.tFull;
  for (const auto& t : p.tensors) {
    q.dw.push_back(int64_t(std::ceil(t.dw * q.scale - 1e-9)));
    q.reach.push_back(int64_t(std::ceil(t.reach * q.scale - 1e-9)));
  }
  q.budget = int64_t(std::floor((p.rho * p.tFull - p.tFp) * q.scale + 1e-9));
  return q;
}

void validate(const SelectionProblem& p) {
  check(std::isfinite(p.rho) && p.rho > 0 && p.rho <= 1, "rho must be in (0, 1], got " + fmt4(p.rho));
  check(std::isfinite(p.tFull) && p.tFull > 0, "t_full must be positive");
  check(std::isfinite(p.tFp) && p.tFp >= 0 && p.tFp < p.tFull, "t_fp must be in [0, t_full)");
  check(p.tq >= 1 && p.tq <= 100000000, "tq must be between 1 and 1e8, got " + std::to_string(p.tq));
  check(!p.tensors.empty(), "the selection problem has no tensors");
  double prev = 0;
  for (size_t i = 0; i < p.tensors.size(); ++i) {
    const auto& t = p.tensors[i];
    const std::string where = "tensor " + std::to_string(i) + " ('" + t.name + "')";
    check(std::isfinite(t.dw) && t.dw >= 0, where + ": dw must be a non-negative number");
    check(std::isfinite(t.reach) && t.reach >= 0, where + ": reach must be a non-negative number");
    check(std::isfinite(t.importance), where + ": importance must be a finite number (NaN loss during the importance pass?)");
    check(t.reach >= prev, where + ": reach decreases along the chain (tensors must be ordered output first)");
    prev = t.reach;
  }
  const double forwardShare = p.tFp / p.tFull;
  check(p.rho > forwardShare, "rho " + fmt4(p.rho) + " is at or below the forward pass's share of full fine-tuning (" +
                                  fmt4(forwardShare) + "): no backpropagation fits; choose rho above it");
}

[[noreturn]] void infeasible(const SelectionProblem& p, const Quantised& q) {
  double best = std::numeric_limits<double>::infinity();
  size_t which = 0;
  for (size_t i = 0; i < p.tensors.size(); ++i) {
    const double need = (p.tFp + double(q.dw[i] + q.reach[i]) / q.scale) / p.tFull;
    if (need < best) best = need, which = i;
  }
  const double rounded = std::ceil(best * 10000 - 1e-6) / 10000;
  throw Error("rho " + fmt4(p.rho) + " is too small: not even the cheapest tensor ('" + p.tensors[which].name +
              "') fits the budget; the smallest rho that works is " + fmt4(rounded));
}

SelectionResult finish(const SelectionProblem& p, std::vector<bool> mask) {
  SelectionResult r;
  r.mask = std::move(mask);
  for (size_t i = 0; i < p.tensors.size(); ++i)
    if (r.mask[i]) r.objective += p.tensors[i].importance;
  r.flops = maskFlops(p, r.mask);
  r.fraction = r.flops / p.tFull;
  return r;
}

// When no tensor with positive importance fits: the single feasible tensor of highest importance.
std::vector<bool> bestSingle(const SelectionProblem& p, const Quantised& q) {
  int best = -1;
  for (size_t i = 0; i < p.tensors.size(); ++i)
    if (q.dw[i] + q.reach[i] <= q.budget && (best < 0 || p.tensors[i].importance > p.tensors[size_t(best)].importance)) best = int(i);
  if (best < 0) infeasible(p, q);
  std::vector<bool> mask(p.tensors.size(), false);
  mask[size_t(best)] = true;
  return mask;
}

// exact: levels of equal reach, output first; a 0/1 knapsack over dw of the positive-importance
// tensors seen so far; after each level the candidate K[B - reach_level]. O(N * T_q).
std::vector<bool> solveExact(const SelectionProblem& p, const Quantised& q) {
  const size_t n = p.tensors.size();
  const int64_t cap = q.budget;
  if (cap < 0) infeasible(p, q);
  std::vector<double> K(size_t(cap + 1), 0.0);
  std::vector<std::vector<bool>> take(n);
  double best = 0;
  int64_t bestCap = -1;
  size_t bestEnd = 0;
  for (size_t i = 0; i < n;) {
    size_t j = i;
    while (j < n && q.reach[j] == q.reach[i]) {
      take[j].assign(size_t(cap + 1), false);
      const double v = p.tensors[j].importance;
      const int64_t w = q.dw[j];
      if (v > 0 && w <= cap) {
        for (int64_t b = cap; b >= w; --b) {
          if (K[size_t(b - w)] + v > K[size_t(b)]) {
            K[size_t(b)] = K[size_t(b - w)] + v;
            take[j][size_t(b)] = true;
          }
        }
      }
      ++j;
    }
    const int64_t room = cap - q.reach[i];
    if (room >= 0 && K[size_t(room)] > best) {
      best = K[size_t(room)];
      bestCap = room;
      bestEnd = j - 1;
    }
    i = j;
  }
  if (bestCap < 0) return bestSingle(p, q);
  std::vector<bool> mask(n, false);
  int64_t c = bestCap;
  for (size_t i = bestEnd + 1; i-- > 0;) {
    if (take[i][size_t(c)]) {
      mask[i] = true;
      c -= q.dw[i];
    }
  }
  return mask;
}

// paper: P[k][t] = best importance using the top k tensors within t, extended by selecting k
// after its nearest selected tensor k' above (Eq. 7): cost dw_k + reach_k - reach_k'. Only
// sub-problems whose stored solution really ends at k' are used (invalid ones pruned), so the
// answer is feasible but, unlike `exact`, not always optimal. O(N^2 * T_q).
std::vector<bool> solvePaper(const SelectionProblem& p, const Quantised& q) {
  const size_t n = p.tensors.size();
  const int64_t T = q.budget;
  if (T < 0) infeasible(p, q);
  const size_t W = size_t(T + 1);
  std::vector<std::vector<double>> P(n, std::vector<double>(W, 0.0));
  std::vector<std::vector<int>> last(n, std::vector<int>(W, -1));     // deepest selected in P[k][t]
  std::vector<std::vector<int>> fromK(n, std::vector<int>(W, -2));    // -2: not taken, -1: alone, else k'
  std::vector<std::vector<int64_t>> fromT(n, std::vector<int64_t>(W, 0));
  for (size_t k = 0; k < n; ++k) {
    const double v = p.tensors[k].importance;
    for (int64_t t = 0; t <= T; ++t) {
      double bestV = k > 0 ? P[k - 1][size_t(t)] : 0.0;
      int bestLast = k > 0 ? last[k - 1][size_t(t)] : -1;
      int bk = -2;
      int64_t bt = 0;
      // As the authors' selection_DP scans them: the nearest k' first, k selected alone last;
      // a candidate must beat everything before it strictly (ties keep the earlier choice).
      for (size_t kp = k; kp-- > 0;) {
        const int64_t tp = t - (q.dw[k] + q.reach[k] - q.reach[kp]);
        if (tp < 0 || last[kp][size_t(tp)] != int(kp)) continue;  // invalid sub-problem: its solution does not end at k'
        const double cand = P[kp][size_t(tp)] + v;
        if (cand > bestV) bestV = cand, bestLast = int(k), bk = int(kp), bt = tp;
      }
      if (q.dw[k] + q.reach[k] <= t && v > bestV) bestV = v, bestLast = int(k), bk = -1;
      P[k][size_t(t)] = bestV;
      last[k][size_t(t)] = bestLast;
      fromK[k][size_t(t)] = bk;
      fromT[k][size_t(t)] = bt;
    }
  }
  // The answer is the first sub-problem, in table order, whose value beats every earlier one
  // (the table is not monotone in t, so P[n-1][T] may be lower). Nothing above 0 (no tensor with
  // positive importance fits): where the authors return an empty mask, we return the best
  // single tensor that fits, so that a training step always has something to train.
  double best = 0;
  int k = -1;
  int64_t t = 0;
  for (size_t kk = 0; kk < n; ++kk)
    for (int64_t tt = 0; tt <= T; ++tt)
      if (P[kk][size_t(tt)] > best) best = P[kk][size_t(tt)], k = int(kk), t = tt;
  if (k < 0) return bestSingle(p, q);
  std::vector<bool> mask(n, false);
  while (k >= 0) {
    const int choice = fromK[size_t(k)][size_t(t)];
    if (choice == -2) {
      --k;
      continue;
    }
    mask[size_t(k)] = true;
    if (choice == -1) break;
    t = fromT[size_t(k)][size_t(t)];
    k = choice;
  }
  return mask;
}

// brute: every non-empty subset, Gray-code order, O(2^N).
std::vector<bool> solveBrute(const SelectionProblem& p, const Quantised& q) {
  const size_t n = p.tensors.size();
  check(n <= 24, "solver 'brute' handles at most 24 tensors, got " + std::to_string(n) + " (solver 'exact' gives the same selection)");
  double best = -std::numeric_limits<double>::infinity();
  uint32_t bestMask = 0;
  int64_t dwSum = 0;
  double value = 0;
  uint32_t gray = 0;
  for (uint32_t i = 1; i < (1u << n); ++i) {
    const uint32_t next = i ^ (i >> 1);
    const int bit = __builtin_ctz(next ^ gray);
    const bool on = next & (1u << bit);
    dwSum += on ? q.dw[size_t(bit)] : -q.dw[size_t(bit)];
    value += on ? p.tensors[size_t(bit)].importance : -p.tensors[size_t(bit)].importance;
    gray = next;
    const int deepest = 31 - __builtin_clz(gray);
    if (dwSum + q.reach[size_t(deepest)] <= q.budget && value > best) best = value, bestMask = gray;
  }
  if (bestMask == 0) infeasible(p, q);
  std::vector<bool> mask(n);
  for (size_t i = 0; i < n; ++i) mask[i] = bestMask & (1u << i);
  return mask;
}

}  // namespace

double maskFlops(const SelectionProblem& p, const std::vector<bool>& mask) {
  check(mask.size() == p.tensors.size(), "mask has " + std::to_string(mask.size()) + " entries for " + std::to_string(p.tensors.size()) + " tensors");
  double flops = p.tFp, deepest = 0;
  for (size_t i = 0; i < mask.size(); ++i)
    if (mask[i]) flops += p.tensors[i].dw, deepest = std::max(deepest, p.tensors[i].reach);
  return flops + deepest;
}

SelectionResult selectTensors(const SelectionProblem& problem, const std::string& solver) {
  check(solver == "exact" || solver == "paper" || solver == "brute", "unknown solver '" + solver + "' (expected exact, paper or brute)");
  validate(problem);
  const auto start = std::chrono::steady_clock::now();
  const Quantised q = quantise(problem);
  std::vector<bool> mask = solver == "exact" ? solveExact(problem, q) : solver == "paper" ? solvePaper(problem, q) : solveBrute(problem, q);
  SelectionResult r = finish(problem, std::move(mask));
  r.timeMs = std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - start).count();
  return r;
}

}  // namespace gt
