// Greedy and beam search on a scripted model whose next-token log-probabilities depend only on
// the last token (a bigram table), so every outcome below is worked by hand from the numbers in
// the table: the repetition penalty (CTRL / transformers: divide positive scores, multiply
// negative ones, over prompt and generated tokens), EOS ending a search, and beam search's
// finished-hypothesis score sum(logprob) / generated_length^length_penalty, where the generated
// length excludes the prompt (transformers' BeamSearchScorer with decoder_prompt_len).
#include <QtTest/QtTest>

#include <cmath>

#include "core/model/generation.h"
#include "test_support.h"

using namespace gt;

namespace {

constexpr int64_t kEos = 0;

class BigramLM : public CausalLM {
 public:
  // rows[t] = logits after token t.
  explicit BigramLM(const std::vector<std::vector<double>>& rows) : CausalLM(config(int64_t(rows.size()))) {
    std::vector<float> flat;
    for (const auto& r : rows) flat.insert(flat.end(), r.begin(), r.end());
    table_ = register_parameter("table", torch::tensor(flat).view({int64_t(rows.size()), int64_t(rows.size())}), false);
  }
  torch::Tensor forward(const torch::Tensor& inputIds, const torch::Tensor&, KVCache*, const torch::Tensor&) override {
    return table_.index_select(0, inputIds.reshape({-1})).view({inputIds.size(0), inputIds.size(1), table_.size(1)});
  }
  torch::Tensor inputEmbeddingWeight() override { return table_; }

 private:
  static ModelConfig config(int64_t vocab) {
    ModelConfig c;
    c.modelType = "bigram";
    c.vocabSize = vocab;
    c.eosTokenIds = {kEos};
    return c;
  }
  torch::Tensor table_;
};

// Log-probabilities (they sum to 1, so log_softmax leaves them unchanged).
std::vector<double> logs(const std::vector<double>& p) {
  double sum = 0;
  for (double x : p) sum += x;
  if (std::abs(sum - 1.0) > 1e-9) qFatal("row does not sum to 1");
  std::vector<double> out;
  for (double x : p) out.push_back(std::log(x));
  return out;
}

std::vector<int64_t> greedy(BigramLM& m, const std::vector<int64_t>& prompt, double penalty) {
  GenerationOptions o;
  o.maxNewTokens = 6;
  o.repetitionPenalty = penalty;
  o.eosTokenIds = {kEos};
  return generate(m, prompt, o);
}

}  // namespace

class TestGenerationSearch : public QObject {
  Q_OBJECT

 private Q_SLOTS:
  // Positive scores: token 1 (in the prompt) has 2.0, token 2 has 1.8. Penalty 1.3: 2.0 / 1.3 =
  // 1.54 < 1.8, so 2 wins (multiplying would give 2.6 and keep 1). After 2, EOS (3.0) ends the search.
  void repetitionPenaltyDividesPositiveScores() {
    BigramLM m({{0, 0, 0, 0}, {-5, 2.0, 1.8, -5}, {3.0, -5, -5, -5}, {0, 0, 0, 0}});
    QCOMPARE(greedy(m, {1}, 1.0), (std::vector<int64_t>{1, 1, 1, 1, 1, 1, 1}));  // no penalty: 1 forever, 6 new tokens
    QCOMPARE(greedy(m, {1}, 1.3), (std::vector<int64_t>{1, 2, kEos}));
  }

  // Negative scores: after 3, token 1 (in the prompt) has -1.0, token 2 -1.2. Penalty 1.3:
  // -1.0 * 1.3 = -1.3 < -1.2, so 2 wins (dividing would give -0.77 and pick 1).
  void repetitionPenaltyMultipliesNegativeScores() {
    BigramLM m({{0, 0, 0, 0}, {-9, -9, -9, 2.0}, {3.0, -9, -9, -9}, {-9, -1.0, -1.2, -9}});
    QCOMPARE(greedy(m, {1, 3}, 1.0), (std::vector<int64_t>{1, 3, 1, 3, 1, 3, 1, 3}));
    QCOMPARE(greedy(m, {1, 3}, 1.3), (std::vector<int64_t>{1, 3, 2, kEos}));
  }

  // Beam search, 2 beams, prompt of five 3s. Log-probs: after 3: EOS -1.0, 1 -0.90; after 1: 2
  // -0.90; after 2: EOS -0.90. Worked by hand (2 x 2 candidates a step):
  //   step 1: [EOS] finishes with sum -1.0 over 1 generated token; [1] (-0.9) and [2] run on.
  //   step 2: [1 2] (-1.8) and [1 1] (-2.46) run; nothing finishes among the top 2.
  //   step 3: [1 2 EOS] finishes with sum -2.7 over 3 tokens; the best running beam ([1 1 2],
  //           -3.36) cannot beat the worst finished one any more, so the search ends.
  // length_penalty 1: [EOS] scores -1.0 / 1 = -1.0, [1 2 EOS] -2.7 / 3 = -0.9: the longer one wins.
  // Counting the prompt in the length would score them -1/6 and -2.7/8 and pick [EOS].
  // length_penalty 0 (no normalisation): -1.0 beats -2.7, so [EOS] wins.
  void beamScoresDivideByGeneratedLength() {
    const std::vector<double> uniform5(5, 0.2);
    BigramLM m({logs(uniform5),
                logs({0.001, 0.21, 0.4066, 0.19, 0.1924}),    // after 1
                logs({0.4066, 0.2, 0.16, 0.14, 0.0934}),      // after 2
                logs({0.3679, 0.4066, 0.12, 0.07, 0.0355}),   // after 3
                logs(uniform5)});
    GenerationOptions o;
    o.numBeams = 2;
    o.maxNewTokens = 5;
    o.eosTokenIds = {kEos};
    const std::vector<int64_t> prompt{3, 3, 3, 3, 3};
    o.lengthPenalty = 1.0;
    QCOMPARE(generate(m, prompt, o), (std::vector<int64_t>{3, 3, 3, 3, 3, 1, 2, kEos}));
    o.lengthPenalty = 0.0;
    QCOMPARE(generate(m, prompt, o), (std::vector<int64_t>{3, 3, 3, 3, 3, kEos}));
    // Batched with a shorter prompt beside it: each prompt searched as on its own.
    const auto both = generateBatch(m, {prompt, {3}}, GenerationOptions{5, 2, 1.0, false, 1.0, {kEos}, {}});
    QCOMPARE(both[0], (std::vector<int64_t>{3, 3, 3, 3, 3, 1, 2, kEos}));
    QCOMPARE(both[1], (std::vector<int64_t>{3, 1, 2, kEos}));
  }
};

QTEST_GUILESS_MAIN(TestGenerationSearch)
#include "test_generation_search.moc"
