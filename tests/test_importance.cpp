// Importance (GREENTRAINER.md §3) and the AdamW it simulates: our AdamW matches LibTorch's
// torch::optim::AdamW; I_k = -sum(Δw · g(w + Δw)) with Δw from a real AdamW step; the pass
// leaves weights and optimizer state bit-identical; early stop zeroes tensors below the cutoff.
#include <QtTest/QtTest>

#include <torch/optim/adamw.h>

#include <map>

#include "core/green/importance.h"
#include "core/io/checkpoint.h"
#include "core/io/safetensors.h"
#include "test_support.h"

using namespace gt;

namespace {

Batch fixtureBatch(const std::filesystem::path& dir) {
  SafetensorsFile ref(dir / "reference.safetensors");
  return {ref.tensor("input_ids").clone(), ref.tensor("attention_mask").clone(), ref.tensor("labels").clone()};
}

std::vector<std::pair<std::string, torch::Tensor>> namedParams(CausalLM& m) {
  std::vector<std::pair<std::string, torch::Tensor>> out;
  for (const auto& p : m.named_parameters(true)) out.emplace_back(p.key(), p.value());
  return out;
}

void trainStep(CausalLM& m, AdamW& opt, const Batch& b) {
  causalLmLoss(m.forward(b.inputIds, b.attentionMask), b.labels).backward();
  opt.step();
  opt.zeroGrad();
}

}  // namespace

class TestImportance : public QObject {
  Q_OBJECT
  std::filesystem::path dir_;

 private Q_SLOTS:
  void initTestCase() {
    dir_ = test::fixture("models/opt");
    if (dir_.empty()) QSKIP("fixture models/opt not found");
  }

  void adamwMatchesLibTorch() {
    auto ours = loadModel(dir_), theirs = loadModel(dir_);
    const Batch b = fixtureBatch(dir_);
    AdamW opt(namedParams(*ours), {1e-3, 0.9, 0.999, 1e-8, 0.01});
    torch::optim::AdamW ref(theirs->parameters(), torch::optim::AdamWOptions(1e-3).betas({0.9, 0.999}).eps(1e-8).weight_decay(0.01));
    for (int step = 0; step < 3; ++step) {
      trainStep(*ours, opt, b);
      causalLmLoss(theirs->forward(b.inputIds, b.attentionMask), b.labels).backward();
      ref.step();
      ref.zero_grad();
    }
    auto tp = theirs->named_parameters(true);
    for (const auto& p : ours->named_parameters(true)) {
      const double diff = test::maxAbsDiff(p.value(), tp[p.key()]);
      QVERIFY2(diff < 1e-6, qPrintable(QString::fromStdString(p.key()) + QString(" differs by %1").arg(diff)));
    }
  }

  // Tensors that sit out steps (GreenTrainer's selection) keep their own step counts and bias
  // corrections in the multi-tensor update, as LibTorch's AdamW does for parameters without a gradient.
  void adamwWithTensorsSittingOutStepsMatchesLibTorch() {
    torch::manual_seed(11);
    std::vector<torch::Tensor> mine, theirs;
    for (auto shape : {std::vector<int64_t>{5, 3}, std::vector<int64_t>{7}, std::vector<int64_t>{2, 2, 2}}) {
      mine.push_back(torch::randn(shape).requires_grad_(true));
      theirs.push_back(mine.back().detach().clone().requires_grad_(true));
    }
    AdamW opt({{"a", mine[0]}, {"b", mine[1]}, {"c", mine[2]}}, {1e-2, 0.9, 0.999, 1e-8, 0.1});
    torch::optim::AdamW ref(theirs, torch::optim::AdamWOptions(1e-2).betas({0.9, 0.999}).eps(1e-8).weight_decay(0.1));
    const std::vector<std::vector<int>> active = {{0}, {0, 1}, {1, 2}, {}, {0, 1, 2}, {2}};
    for (const auto& step : active) {
      for (int i : step) {
        const auto g = torch::randn(mine[size_t(i)].sizes());
        mine[size_t(i)].mutable_grad() = g.clone();
        theirs[size_t(i)].mutable_grad() = g.clone();
      }
      opt.step();
      ref.step();
      opt.zeroGrad();
      for (auto& t : theirs) t.mutable_grad() = torch::Tensor();
    }
    for (size_t i = 0; i < mine.size(); ++i) {
      const double diff = test::maxAbsDiff(mine[i], theirs[i]);
      QVERIFY2(diff < 1e-6, qPrintable(QString("tensor %1 differs by %2").arg(i).arg(diff)));
    }
    QCOMPARE(opt.state().at("a").step, int64_t(3));
    QCOMPARE(opt.state().at("b").step, int64_t(3));
    QCOMPARE(opt.state().at("c").step, int64_t(3));
  }

  void matchesDefinitionAndLeavesStateUntouched() {
    auto model = loadModel(dir_);
    const Batch b = fixtureBatch(dir_);
    AdamW opt(namedParams(*model), {1e-3, 0.9, 0.999, 1e-8, 0.01});
    trainStep(*model, opt, b);  // non-trivial moments
    const FlopsProfile profile = profileFlops(model->config(), b.size(), b.seq());

    std::map<std::string, torch::Tensor> weightsBefore, m1, m2;
    for (const auto& p : model->named_parameters(true)) weightsBefore[p.key()] = p.value().clone();
    for (const auto& [n, s] : opt.state()) m1[n] = s.expAvg.clone(), m2[n] = s.expAvgSq.clone();

    const auto imp = computeImportance(*model, opt, profile, profile.tensors.size(), b, {});

    // Bit-identical weights and optimizer state, no gradients left, all trainable.
    for (const auto& p : model->named_parameters(true)) {
      QVERIFY2(torch::equal(p.value(), weightsBefore[p.key()]), p.key().c_str());
      QVERIFY(!p.value().grad().defined());
      QVERIFY(p.value().requires_grad());
    }
    for (const auto& [n, s] : opt.state()) {
      QVERIFY(torch::equal(s.expAvg, m1[n]) && torch::equal(s.expAvgSq, m2[n]));
      QCOMPARE(s.step, int64_t(1));
    }

    // Reference: LibTorch's AdamW on a copy from the same start: step 1 (same as ours), then
    // step 2 gives Δw = w2 - w1; the gradient is then taken at w2 = w + Δw.
    auto copy = loadModel(dir_);
    torch::optim::AdamW ref(copy->parameters(), torch::optim::AdamWOptions(1e-3).betas({0.9, 0.999}).eps(1e-8).weight_decay(0.01));
    for (int step = 0; step < 2; ++step) {
      causalLmLoss(copy->forward(b.inputIds, b.attentionMask), b.labels).backward();
      ref.step();
      ref.zero_grad();
    }
    causalLmLoss(copy->forward(b.inputIds, b.attentionMask), b.labels).backward();
    auto cp = copy->named_parameters(true);
    double maxRaw = 0;
    std::vector<double> expected(profile.tensors.size());
    for (size_t i = 0; i < profile.tensors.size(); ++i) {
      const auto& name = profile.tensors[i].name;
      const auto delta = (cp[name].detach() - weightsBefore[name]).to(torch::kFloat64);
      expected[i] = -(delta * cp[name].grad().to(torch::kFloat64)).sum().item<double>();
      maxRaw = std::max(maxRaw, std::abs(expected[i]));
    }
    // Each tensor against its own value (small importances — inner norms, q/k, biases — included),
    // with a floor for values that are rounding noise (k_proj.bias: 0 in exact arithmetic).
    int signsChecked = 0;
    for (size_t i = 0; i < profile.tensors.size(); ++i) {
      const double floor = 1e-6 * maxRaw;
      const double tol = 1e-3 * std::abs(expected[i]) + floor;
      QVERIFY2(std::abs(imp.raw[i] - expected[i]) <= tol,
               qPrintable(QString::fromStdString(profile.tensors[i].name) + QString(": %1 vs %2").arg(imp.raw[i]).arg(expected[i])));
      if (std::abs(expected[i]) > 10 * floor) {
        QVERIFY2((imp.raw[i] > 0) == (expected[i] > 0), qPrintable(QString::fromStdString(profile.tensors[i].name) + ": sign differs"));
        ++signsChecked;
      }
      QVERIFY(std::abs(imp.scaled[i] - imp.raw[i] / maxRaw) < 1e-3);
    }
    QVERIFY2(signsChecked >= 30, qPrintable(QString("only %1 of %2 tensors above the noise floor").arg(signsChecked).arg(profile.tensors.size())));
    double maxScaled = 0;
    for (double v : imp.scaled) maxScaled = std::max(maxScaled, std::abs(v));
    QCOMPARE(maxScaled, 1.0);
  }

  // Importance on several batches (--importance-batches) is that of one larger batch: the reference
  // takes LibTorch's AdamW step on the mean of the two rows' losses and the gradient of that mean
  // at w + Δw. One row alone gives different values, so both rows were used.
  void severalBatchesAreOneLargerBatch() {
    auto model = loadModel(dir_);
    const Batch b = fixtureBatch(dir_);
    QCOMPARE(b.size(), int64_t(2));
    const auto row = [&](int64_t i) {
      return Batch{b.inputIds.slice(0, i, i + 1), b.attentionMask.slice(0, i, i + 1), b.labels.slice(0, i, i + 1)};
    };
    const std::vector<Batch> rows = {row(0), row(1)};
    AdamW opt(namedParams(*model), {1e-3, 0.9, 0.999, 1e-8, 0.01});
    trainStep(*model, opt, b);
    const FlopsProfile profile = profileFlops(model->config(), 1, b.seq());
    std::map<std::string, torch::Tensor> weightsBefore;
    for (const auto& p : model->named_parameters(true)) weightsBefore[p.key()] = p.value().clone();

    const auto imp = computeImportance(*model, opt, profile, profile.tensors.size(), rows, {});
    const auto first = computeImportance(*model, opt, profile, profile.tensors.size(), rows[0], {});

    auto copy = loadModel(dir_);
    torch::optim::AdamW ref(copy->parameters(), torch::optim::AdamWOptions(1e-3).betas({0.9, 0.999}).eps(1e-8).weight_decay(0.01));
    const auto meanLoss = [&] {
      return (causalLmLoss(copy->forward(rows[0].inputIds, rows[0].attentionMask), rows[0].labels) +
              causalLmLoss(copy->forward(rows[1].inputIds, rows[1].attentionMask), rows[1].labels)) /
             2;
    };
    causalLmLoss(copy->forward(b.inputIds, b.attentionMask), b.labels).backward();  // the same first step
    ref.step();
    ref.zero_grad();
    const double lossAtW = meanLoss().item<double>();
    meanLoss().backward();
    ref.step();
    ref.zero_grad();
    meanLoss().backward();
    auto cp = copy->named_parameters(true);
    std::vector<double> expected(profile.tensors.size());
    double maxRaw = 0;
    for (size_t i = 0; i < profile.tensors.size(); ++i) {
      const auto& name = profile.tensors[i].name;
      const auto delta = (cp[name].detach() - weightsBefore[name]).to(torch::kFloat64);
      expected[i] = -(delta * cp[name].grad().to(torch::kFloat64)).sum().item<double>();
      maxRaw = std::max(maxRaw, std::abs(expected[i]));
    }
    QVERIFY(std::abs(imp.loss - lossAtW) < 1e-5);
    int differsFromOneRow = 0;
    for (size_t i = 0; i < profile.tensors.size(); ++i) {
      const double tol = 1e-3 * std::abs(expected[i]) + 1e-6 * maxRaw;
      QVERIFY2(std::abs(imp.raw[i] - expected[i]) <= tol,
               qPrintable(QString::fromStdString(profile.tensors[i].name) + QString(": %1 vs %2").arg(imp.raw[i]).arg(expected[i])));
      differsFromOneRow += std::abs(first.raw[i] - expected[i]) > 0.05 * std::abs(expected[i]) + 1e-3 * maxRaw;
    }
    QVERIFY2(differsFromOneRow >= 10, qPrintable(QString("only %1 tensors differ from one row's importance").arg(differsFromOneRow)));
    for (const auto& p : model->named_parameters(true)) QVERIFY2(torch::equal(p.value(), weightsBefore[p.key()]), p.key().c_str());
  }

  void earlyStopZeroesBelowCutoff() {
    auto model = loadModel(dir_);
    const Batch b = fixtureBatch(dir_);
    AdamW opt(namedParams(*model), {1e-3, 0.9, 0.999, 1e-8, 0.01});
    const FlopsProfile profile = profileFlops(model->config(), b.size(), b.seq());
    const size_t cutoff = earlyStopCutoff(profile, 0.5);
    QVERIFY(cutoff > 0 && cutoff < profile.tensors.size());
    const double budget = 0.5 * profile.full.total() - profile.forward.total();
    QVERIFY(profile.tensors[cutoff].reach.total() > budget);
    QVERIFY(profile.tensors[cutoff - 1].reach.total() <= budget);
    const auto imp = computeImportance(*model, opt, profile, cutoff, b, {});
    QCOMPARE(imp.cutoff, cutoff);
    for (size_t i = cutoff; i < profile.tensors.size(); ++i) QCOMPARE(imp.raw[i], 0.0);
    int nonzero = 0;
    for (size_t i = 0; i < cutoff; ++i) nonzero += imp.raw[i] != 0.0;
    QVERIFY(nonzero > 0);
    // With the gradient at w, the values above the cutoff equal a full pass's (at w + Δw they
    // differ: a full pass also moves the tensors below the cutoff).
    const auto cut = computeImportance(*model, opt, profile, cutoff, b, {"update_x_grad", "current"});
    const auto all = computeImportance(*model, opt, profile, profile.tensors.size(), b, {"update_x_grad", "current"});
    for (size_t i = 0; i < cutoff; ++i) QVERIFY(std::abs(all.raw[i] - cut.raw[i]) <= 1e-6 * std::abs(all.raw[i]) + 1e-12);
  }

  void otherMetrics() {
    auto model = loadModel(dir_);
    const Batch b = fixtureBatch(dir_);
    AdamW opt(namedParams(*model), {1e-3, 0.9, 0.999, 1e-8, 0.0});
    const FlopsProfile profile = profileFlops(model->config(), b.size(), b.seq());
    // First AdamW step without decay: |Δw| = lr * |m̂| / (sqrt(v̂) + eps) ≈ lr per element with a gradient.
    const auto upd = computeImportance(*model, opt, profile, profile.tensors.size(), b, {"update", "current"});
    const int i = profile.indexOf("model.decoder.layers.1.fc2.weight");
    // Each element with a non-zero gradient moves by ~lr (|m̂| / sqrt(v̂) = 1), the rest not at all.
    causalLmLoss(model->forward(b.inputIds, b.attentionMask), b.labels).backward();
    const auto g = model->named_parameters(true)["model.decoder.layers.1.fc2.weight"].grad();
    const double moving = double((g.abs() > 1e-6).sum().item<int64_t>());
    QVERIFY2(std::abs(upd.raw[size_t(i)] - 1e-3 * moving) < 1e-3 * moving * 1e-2,
             qPrintable(QString("%1 vs %2").arg(upd.raw[size_t(i)]).arg(1e-3 * moving)));
    // grad metric: sum |∂L/∂w| at w.
    const auto gm = computeImportance(*model, opt, profile, profile.tensors.size(), b, {"grad", "current"});
    QVERIFY(std::abs(gm.raw[size_t(i)] - g.abs().sum().item<double>()) < 1e-5 * g.abs().sum().item<double>());
    model->zero_grad();
    QCOMPARE(QString::fromStdString(test::errorMessage([&] { computeImportance(*model, opt, profile, 3, b, {"fisher", "update"}); })),
             QString("importance: unknown metric 'fisher' (expected update_x_grad, update or grad)"));
  }
};

QTEST_GUILESS_MAIN(TestImportance)
#include "test_importance.moc"
