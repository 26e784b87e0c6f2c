// Selectors: `exact` equals brute force on random instances, `exact` >= `paper` always, every
// mask fits the budget in exact FLOPs, and infeasible budgets are refused with the smallest rho.
#include <QtTest/QtTest>

#include <algorithm>
#include <cmath>
#include <random>

#include "core/green/selector.h"
#include "core/util/error.h"
#include "test_support.h"

using namespace gt;

namespace {

SelectionProblem randomInstance(std::mt19937_64& rng, size_t n) {
  std::uniform_real_distribution<double> u(0, 1);
  SelectionProblem p;
  double reach = 0, dwSum = 0;
  for (size_t i = 0; i < n; ++i) {
    if (i == 0 || u(rng) < 0.6) reach += 1 + 20 * u(rng);
    const double dw = u(rng) < 0.3 ? 0.05 : 1 + 20 * u(rng);
    dwSum += dw;
    // Mostly positive importance, some negative (divergent tensors).
    p.tensors.push_back({"t" + std::to_string(i), dw, reach, u(rng) < 0.15 ? -u(rng) : u(rng)});
  }
  p.tFp = 0.5 * (reach + dwSum);
  p.tFull = p.tFp + reach + dwSum;
  p.rho = 0.45 + 0.5 * u(rng);
  p.tq = 50 + int64_t(rng() % 400);
  return p;
}

double budget(const SelectionProblem& p) { return p.rho * p.tFull; }

// GREENTRAINER.md §1, written out here: T_fp + the selected tensors' dw + the deepest selected reach.
double flopsOfMask(const SelectionProblem& p, const std::vector<bool>& mask) {
  double dw = 0, reach = 0;
  for (size_t i = 0; i < mask.size(); ++i)
    if (mask[i]) dw += p.tensors[i].dw, reach = std::max(reach, p.tensors[i].reach);
  return p.tFp + dw + reach;
}

double importanceOfMask(const SelectionProblem& p, const std::vector<bool>& mask) {
  double sum = 0;
  for (size_t i = 0; i < mask.size(); ++i)
    if (mask[i]) sum += p.tensors[i].importance;
  return sum;
}

}  // namespace

class TestSelector : public QObject {
  Q_OBJECT

 private Q_SLOTS:
  void exactEqualsBruteAndBeatsPaper() {
    std::mt19937_64 rng(2024);
    int paperWorse = 0, solved = 0;
    for (int k = 0; k < 500; ++k) {
      const auto p = randomInstance(rng, 1 + size_t(rng() % 20));
      SelectionResult e, b, pa;
      try {
        e = selectTensors(p, "exact");
      } catch (const Error& err) {
        // Then brute force must agree that nothing fits.
        QVERIFY2(!test::errorMessage([&] { selectTensors(p, "brute"); }).empty(), err.what());
        continue;
      }
      b = selectTensors(p, "brute");
      pa = selectTensors(p, "paper");
      ++solved;
      QVERIFY2(std::abs(e.objective - b.objective) < 1e-9,
               qPrintable(QString("instance %1: exact %2 vs brute %3").arg(k).arg(e.objective).arg(b.objective)));
      QVERIFY2(e.objective >= pa.objective - 1e-12, qPrintable(QString("instance %1: paper beat exact").arg(k)));
      paperWorse += pa.objective < e.objective - 1e-9;
      for (const auto* r : {&e, &b, &pa}) {
        QVERIFY2(r->flops <= budget(p) * (1 + 1e-12), qPrintable(QString("instance %1 over budget").arg(k)));
        QCOMPARE(r->mask.size(), p.tensors.size());
        const double flops = flopsOfMask(p, r->mask);
        QVERIFY2(std::abs(r->flops - flops) <= 1e-12 * flops, qPrintable(QString("instance %1: flops %2 vs %3").arg(k).arg(r->flops).arg(flops)));
        QVERIFY2(std::abs(r->fraction - flops / p.tFull) <= 1e-12, qPrintable(QString("instance %1: fraction").arg(k)));
        QVERIFY2(std::abs(r->objective - importanceOfMask(p, r->mask)) <= 1e-12, qPrintable(QString("instance %1: objective").arg(k)));
        QCOMPARE(maskFlops(p, r->mask), r->flops);
      }
    }
    QVERIFY(solved > 400);
    qInfo("paper below exact on %d of %d instances", paperWorse, solved);
  }

  // The `paper` solver against an independent Python implementation of the authors' recurrence
  // (tests/fixtures/selector/paper_dp_reference.py, which wrote paper_dp_cases.json): the same
  // mask on every instance.
  void paperSolverMatchesTheAuthorsRecurrence() {
    const auto cases = nlohmann::json::parse(test::readFile(test::fixture("selector/paper_dp_cases.json")));
    QVERIFY(cases.size() >= 300);
    int k = 0, fallbacks = 0;
    for (const auto& c : cases) {
      const auto& j = c["problem"];
      SelectionProblem p;
      p.tFp = j["t_fp"].get<double>();
      p.tFull = j["t_full"].get<double>();
      p.rho = j["rho"].get<double>();
      p.tq = j["tq"].get<int64_t>();
      for (const auto& t : j["tensors"])
        p.tensors.push_back({t["name"].get<std::string>(), t["dw"].get<double>(), t["reach"].get<double>(), t["importance"].get<double>()});
      const auto r = selectTensors(p, "paper");
      std::vector<bool> expected;
      for (int m : c["mask"].get<std::vector<int>>()) expected.push_back(m != 0);
      if (std::none_of(expected.begin(), expected.end(), [](bool b) { return b; })) {
        // No positive-importance tensor fits: the authors select nothing; we train the most
        // important single tensor that fits (GREENTRAINER.md §4 quantisation), first on ties.
        const double z = double(p.tq) / p.tFull, budget = std::floor((p.rho * p.tFull - p.tFp) * z);
        expected.assign(p.tensors.size(), false);
        int best = -1;
        for (size_t i = 0; i < p.tensors.size(); ++i)
          if (std::ceil(p.tensors[i].dw * z) + std::ceil(p.tensors[i].reach * z) <= budget &&
              (best < 0 || p.tensors[i].importance > p.tensors[size_t(best)].importance))
            best = int(i);
        QVERIFY(best >= 0);
        expected[size_t(best)] = true;
        ++fallbacks;
      }
      QVERIFY2(r.mask == expected, qPrintable(QString("case %1 differs from the reference").arg(k)));
      ++k;
    }
    QVERIFY(fallbacks > 0 && fallbacks < 30);
  }

  void handExample() {
    // Three levels; the deep tensor is important but its reach eats the budget.
    SelectionProblem p;
    p.tFp = 10;
    p.tFull = 40;  // budget at rho 0.5: 20 - 10 = 10 FLOPs of backward
    p.rho = 0.5;
    p.tq = 400;
    p.tensors = {{"a", 2, 1, 0.3}, {"b", 3, 1, 0.4}, {"c", 4, 4, 0.5}, {"d", 1, 9, 1.0}};
    const auto r = selectTensors(p, "exact");
    // a+b+c: dw 9 + reach 4 = 13 > 10; b+c: 7 + 4 = 11 > 10; a+c: 6+4 = 10 (0.8); a+b: 5+1 = 6 (0.7); d: 1+9 = 10 (1.0).
    QCOMPARE(r.mask, (std::vector<bool>{false, false, false, true}));
    QCOMPARE(r.objective, 1.0);
    QCOMPARE(r.flops, 20.0);
    QCOMPARE(r.fraction, 0.5);
  }

  void infeasibleRhoNamesSmallest() {
    SelectionProblem p;
    p.tFp = 30;
    p.tFull = 100;
    p.rho = 0.35;
    p.tq = 1000;
    p.tensors = {{"head", 2, 10, 1.0}, {"body", 5, 20, 1.0}};
    QCOMPARE(QString::fromStdString(test::errorMessage([&] { selectTensors(p); })),
             QString("rho 0.3500 is too small: not even the cheapest tensor ('head') fits the budget; the smallest rho that works is 0.4200"));
    p.rho = 0.42;
    QCOMPARE(selectTensors(p).mask, (std::vector<bool>{true, false}));
    p.rho = 0.3;
    QCOMPARE(QString::fromStdString(test::errorMessage([&] { selectTensors(p); })),
             QString("rho 0.3000 is at or below the forward pass's share of full fine-tuning (0.3000): no backpropagation fits; choose rho above it"));
    p.rho = 0;
    QCOMPARE(QString::fromStdString(test::errorMessage([&] { selectTensors(p); })), QString("rho must be in (0, 1], got 0.0000"));
    p.rho = 1.5;
    QCOMPARE(QString::fromStdString(test::errorMessage([&] { selectTensors(p); })), QString("rho must be in (0, 1], got 1.5000"));
    p.rho = 0.9;
    p.tensors[1].reach = 5;
    QCOMPARE(QString::fromStdString(test::errorMessage([&] { selectTensors(p); })),
             QString("tensor 1 ('body'): reach decreases along the chain (tensors must be ordered output first)"));
    QCOMPARE(QString::fromStdString(test::errorMessage([&] { selectTensors(p, "greedy"); })),
             QString("unknown solver 'greedy' (expected exact, paper or brute)"));
  }

  void fullBudgetSelectsEverythingPositive() {
    // Integer costs with T_q = T_full: quantisation is exact, so rho 1 fits every tensor.
    SelectionProblem p;
    p.tensors = {{"a", 3, 5, 0.2}, {"b", 4, 5, 0.9}, {"c", 2, 11, 0.1}, {"d", 6, 20, 0.4}};
    p.tFp = 20;
    p.tFull = 20 + 20 + 15;
    p.tq = 55;
    p.rho = 1.0;
    const auto r = selectTensors(p);
    QCOMPARE(r.mask, (std::vector<bool>{true, true, true, true}));
    QCOMPARE(r.fraction, 1.0);
  }
};

QTEST_GUILESS_MAIN(TestSelector)
#include "test_selector.moc"
