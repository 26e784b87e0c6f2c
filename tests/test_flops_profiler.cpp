// The analytic FLOPs chain against LibTorch's profiler: for random selections applied through
// requires_grad, predicted matmul FLOPs must be within 1% of what aten::mm/addmm/bmm report,
// for every fixture family and for configurations the fixtures do not cover.
#include <QtTest/QtTest>

#include <map>

#include <random>

#include "core/green/flops_measurement.h"
#include "core/green/flops_profiler.h"
#include "core/io/checkpoint.h"
#include "core/model/model_config.h"
#include "core/model/model_factory.h"
#include "core/model/seq2seq_lm.h"
#include "core/train/lora.h"
#include "test_support.h"

using namespace gt;

namespace {

std::shared_ptr<CausalLM> modelFor(const QString& name) {
  if (name.startsWith("{")) return createModel(ModelConfig::fromJson(nlohmann::json::parse(name.toStdString()), "test config"));
  const auto dir = test::fixture("models/" + name.toStdString());
  return dir.empty() ? nullptr : loadModel(dir);
}

// Full FT and `masks` random selections (seeded): the matmul FLOPs LibTorch's profiler counts for
// a step match the profile within 1% (forward and total), and the selector's chain cost never
// under-estimates them.
using Measure = std::function<MeasuredFlops(const std::vector<bool>&)>;

void measuredMatchesPredicted(const FlopsProfile& p, const Measure& measure, uint64_t seed, int masks,
                              const std::vector<std::vector<bool>>& extraMasks = {}) {
  const std::vector<bool> all(p.tensors.size(), true);
  const auto full = measure(all);
  QVERIFY2(std::abs(full.total() - p.full.matmul) / full.total() < 0.01,
           qPrintable(QString("T_full matmul: measured %1, predicted %2").arg(full.total()).arg(p.full.matmul)));
  QVERIFY(std::abs(full.forwardMatmul - p.forward.matmul) / full.forwardMatmul < 0.01);
  std::mt19937_64 rng(seed);
  for (int k = 0; k < masks + int(extraMasks.size()); ++k) {
    std::vector<bool> mask(p.tensors.size(), false);
    if (k < masks) {
      const size_t depth = 1 + size_t(rng() % p.tensors.size());
      for (size_t i = 0; i < depth; ++i) mask[i] = rng() % 2;
      mask[depth - 1] = true;
    } else {
      mask = extraMasks[size_t(k - masks)];
    }
    size_t depth = 0;
    for (size_t i = 0; i < mask.size(); ++i)
      if (mask[i]) depth = i + 1;
    const auto measured = measure(mask);
    const double predicted = p.stepFlops(mask).matmul;
    QVERIFY2(std::abs(measured.total() - predicted) / measured.total() < 0.01,
             qPrintable(QString("mask %1 (deepest %2): measured %3, predicted %4")
                            .arg(k)
                            .arg(QString::fromStdString(p.tensors[depth - 1].name))
                            .arg(measured.total())
                            .arg(predicted)));
    QVERIFY(p.chainFlops(mask).matmul >= measured.total() * (1 - 1e-9));
  }
}

}  // namespace

class TestFlopsProfiler : public QObject {
  Q_OBJECT

 private Q_SLOTS:
  void matchesMeasuredFlops_data() {
    QTest::addColumn<QString>("model");
    for (const char* n : {"opt", "bloom", "gpt2", "llama-gqa-tied"}) QTest::newRow(n) << QString(n);
    QTest::newRow("opt post-LN project_in/out untied") << QString(R"({"model_type":"opt","vocab_size":97,"hidden_size":32,
      "num_hidden_layers":2,"ffn_dim":48,"num_attention_heads":4,"max_position_embeddings":64,"do_layer_norm_before":false,
      "word_embed_proj_dim":16,"tie_word_embeddings":false})");
    QTest::newRow("llama biases untied gqa") << QString(R"({"model_type":"llama","vocab_size":97,"hidden_size":32,
      "num_hidden_layers":2,"intermediate_size":40,"num_attention_heads":4,"num_key_value_heads":1,"attention_bias":true,
      "mlp_bias":true})");
    QTest::newRow("qwen2") << QString(R"({"model_type":"qwen2","vocab_size":97,"hidden_size":32,"num_hidden_layers":2,
      "intermediate_size":40,"num_attention_heads":4,"num_key_value_heads":2})");
  }

  void matchesMeasuredFlops() {
    QFETCH(QString, model);
    auto m = modelFor(model);
    if (!m) QSKIP("fixture not found");
    const int64_t B = 2, S = 12;
    const FlopsProfile p = profileFlops(m->config(), B, S);

    // Every parameter is in the chain exactly once, and reach never decreases.
    auto params = m->named_parameters(true);
    QCOMPARE(p.tensors.size(), params.size());
    for (const auto& kv : params) QVERIFY2(p.indexOf(kv.key()) >= 0, kv.key().c_str());
    for (size_t i = 1; i < p.tensors.size(); ++i) QVERIFY(p.tensors[i].reach.total() >= p.tensors[i - 1].reach.total());

    torch::manual_seed(1);
    auto ids = torch::randint(0, m->config().vocabSize, {B, S}, torch::kLong);
    measuredMatchesPredicted(p, [&](const std::vector<bool>& mask) { return measureStepFlops(*m, p, mask, ids, ids); }, 42, 20);
  }

  // T5: encoder and decoder of different lengths. Beyond random selections: an encoder tensor alone
  // (the backward pass skips the decoder's block 0 below its cross-attention), the decoder's relative
  // position bias alone (only the scores' gradient), and cross-attention k alone.
  void t5MatchesMeasuredFlops_data() {
    QTest::addColumn<QString>("model");
    QTest::newRow("t5-gated fixture") << QString("t5-gated");
    QTest::newRow("relu, untied, 3 decoder layers") << QString(R"({"model_type":"t5","vocab_size":97,"d_model":32,"d_kv":8,
      "d_ff":48,"num_layers":2,"num_decoder_layers":3,"num_heads":4,"feed_forward_proj":"relu","tie_word_embeddings":false,
      "pad_token_id":0,"eos_token_id":1,"decoder_start_token_id":0})");
  }

  void t5MatchesMeasuredFlops() {
    QFETCH(QString, model);
    std::shared_ptr<Seq2SeqLM> m;
    if (model.startsWith("{")) {
      m = createSeq2SeqModel(ModelConfig::fromJson(nlohmann::json::parse(model.toStdString()), "test config"));
    } else {
      const auto dir = test::fixture("models/" + model.toStdString());
      if (dir.empty()) QSKIP("fixture not found");
      m = loadSeq2SeqModel(dir);
    }
    const int64_t B = 2, Se = 10, Sd = 6;
    const FlopsProfile p = profileFlops(m->config(), B, Se, false, Sd);
    QCOMPARE(p.decoderSeq, Sd);
    auto params = m->named_parameters(true);
    QCOMPARE(p.tensors.size(), params.size());
    for (const auto& kv : params) QVERIFY2(p.indexOf(kv.key()) >= 0, kv.key().c_str());
    for (size_t i = 1; i < p.tensors.size(); ++i) QVERIFY(p.tensors[i].reach.total() >= p.tensors[i - 1].reach.total());
    QCOMPARE(p.tensors.back().name, std::string("shared.weight"));
    QVERIFY(p.indexOf("encoder.final_layer_norm.weight") > p.indexOf("decoder.block.0.layer.0.layer_norm.weight"));

    torch::manual_seed(1);
    auto ids = torch::randint(2, m->config().vocabSize, {B, Se}, torch::kLong);
    auto labels = torch::randint(2, m->config().vocabSize, {B, Sd}, torch::kLong);
    auto only = [&](const std::string& name) {
      std::vector<bool> mask(p.tensors.size(), false);
      mask[size_t(p.indexOf(name))] = true;
      return mask;
    };
    const std::vector<std::vector<bool>> masks = {only("encoder.block.1.layer.1.DenseReluDense.wo.weight"),
                                                  only("encoder.block.0.layer.0.SelfAttention.q.weight"),
                                                  only("encoder.block.0.layer.0.SelfAttention.relative_attention_bias.weight"),
                                                  only("decoder.block.0.layer.0.SelfAttention.relative_attention_bias.weight"),
                                                  only("decoder.block.0.layer.1.EncDecAttention.k.weight"),
                                                  only("decoder.block.1.layer.1.EncDecAttention.q.weight")};
    measuredMatchesPredicted(p, [&](const std::vector<bool>& mask) { return measureStepFlops(*m, p, mask, ids, labels); }, 5, 60, masks);
    // The bypass is real: an encoder tensor alone costs less than with a decoder block-0 self-attention tensor.
    auto both = only("encoder.block.1.layer.1.DenseReluDense.wo.weight");
    both[size_t(p.indexOf("decoder.block.0.layer.0.SelfAttention.o.weight"))] = true;
    QVERIFY(p.stepFlops(both).matmul > p.stepFlops(masks[0]).matmul + p.tensors[size_t(p.indexOf("decoder.block.0.layer.0.SelfAttention.o.weight"))].dw.matmul);

    QCOMPARE(QString::fromStdString(test::errorMessage([&] { profileFlops(m->config(), B, Se); })),
             QString("profile: an encoder-decoder needs the decoder's length (target tokens per example), got 0"));

    // LoRA on q and v (PEFT's T5 default): the trainer's cost — the backward pass down to the deepest
    // adapted weight without the adapted weights' own gradients, plus the adapters' matmuls over the
    // tokens each layer reads (encoder or decoder) — against what runs. It counts products that do
    // not run: the input gradient of the lowest adapters of each stack, below which nothing trains
    // (encoder block 0's q and v: 2·B·Se·r·d each; the decoder's block 0 self-attention q and v:
    // 2·B·Sd·r·d each); without them the two agree exactly.
    Lora lora(*m, LoraConfig{4, 16, 0.0, {}}, 3);
    std::vector<bool> reach(p.tensors.size(), false);
    double predicted = 0;
    for (const auto& name : lora.adaptedWeights()) {
      reach[size_t(p.indexOf(name))] = true;
      predicted -= p.tensors[size_t(p.indexOf(name))].dw.matmul;
    }
    predicted += p.stepFlops(reach).matmul + lora.stepFlops(p);
    const auto measured = measureStepFlops(*m, p, std::vector<bool>(p.tensors.size(), false), ids, labels);
    const double unneeded = 2 * 2.0 * double(B * Se + B * Sd) * 4 * double(m->config().hiddenSize);
    QVERIFY2(std::abs(measured.total() - (predicted - unneeded)) / measured.total() < 1e-9,
             qPrintable(QString("LoRA step: measured %1, predicted %2 (less %3)").arg(measured.total()).arg(predicted).arg(unneeded)));
    lora.mergeAndDetach();
  }

  // Activation checkpointing: the same loss and gradients as without it, and the FLOPs that run
  // (LibTorch's profiler, forward + backward including the recomputed block forwards) match the
  // profile with recompute, for Full FT and random selections. Both runs start from the same RNG state,
  // so dropout (OPT's, GPT-2's) draws the same masks, which the recomputation must replay.
  void checkpointingKeepsGradientsAndMatchesMeasuredFlops_data() { matchesMeasuredFlops_data(); }
  void checkpointingKeepsGradientsAndMatchesMeasuredFlops() {
    QFETCH(QString, model);
    auto m = modelFor(model);
    if (!m) QSKIP("fixture not found");
    m->train();
    const int64_t B = 2, S = 12;
    torch::manual_seed(1);
    auto ids = torch::randint(0, m->config().vocabSize, {B, S}, torch::kLong);
    auto gradients = [&](bool checkpointing) {
      m->setGradientCheckpointing(checkpointing);
      m->zero_grad();
      torch::manual_seed(2);
      auto loss = causalLmLoss(m->forward(ids), ids);
      loss.backward();
      std::map<std::string, torch::Tensor> g{{"loss", loss.detach()}};
      for (const auto& p : m->named_parameters(true)) g[p.key()] = p.value().grad().clone();
      return g;
    };
    const auto plain = gradients(false), checkpointed = gradients(true);
    for (const auto& [name, t] : plain) {
      const double scale = std::max(1e-12, t.abs().max().item<double>());
      QVERIFY2(test::maxAbsDiff(t, checkpointed.at(name)) <= 1e-5 * scale, name.c_str());
    }

    const FlopsProfile p = profileFlops(m->config(), B, S, /*recompute=*/true);
    const FlopsProfile plainProfile = profileFlops(m->config(), B, S);
    QVERIFY(p.full.matmul > plainProfile.full.matmul);  // every block runs forward twice in Full FT
    QCOMPARE(p.forward.matmul, plainProfile.forward.matmul);
    for (size_t i = 1; i < p.tensors.size(); ++i) QVERIFY(p.tensors[i].reach.total() >= p.tensors[i - 1].reach.total());
    measuredMatchesPredicted(p, [&](const std::vector<bool>& mask) { return measureStepFlops(*m, p, mask, ids, ids); }, 7, 12);
    m->setGradientCheckpointing(false);
  }

  // GREENTRAINER.md §2 worked example, OPT pre-LN: the first cost is lm_head's dy, the q/k/v
  // level pays out_proj dy and 8·B·s²·d of attention backward.
  void optWorkedExample() {
    const auto c = ModelConfig::fromJson(nlohmann::json::parse(R"({"model_type":"opt","vocab_size":100,"hidden_size":16,
      "num_hidden_layers":1,"ffn_dim":32,"num_attention_heads":2,"max_position_embeddings":64})"), "t");
    const int64_t B = 3, S = 5;
    const double n = B * S, d = 16, f = 32, V = 100;
    const auto p = profileFlops(c, B, S);
    const auto& ln = p.tensors[size_t(p.indexOf("model.decoder.final_layer_norm.weight"))];
    QCOMPARE(ln.reach.matmul, 2 * n * d * V);
    const auto& fc1 = p.tensors[size_t(p.indexOf("model.decoder.layers.0.fc1.weight"))];
    QCOMPARE(fc1.reach.matmul, 2 * n * d * V + 2 * n * f * d);
    QCOMPARE(fc1.dw.matmul, 2 * n * d * f);
    const auto& q = p.tensors[size_t(p.indexOf("model.decoder.layers.0.self_attn.q_proj.weight"))];
    const auto& out = p.tensors[size_t(p.indexOf("model.decoder.layers.0.self_attn.out_proj.weight"))];
    QCOMPARE(q.reach.matmul - out.reach.matmul, 2 * n * d * d + 8 * B * S * S * d);
    const auto& embed = p.tensors.back();
    QCOMPARE(QString::fromStdString(embed.name), QString("model.decoder.embed_tokens.weight"));
    QCOMPARE(embed.dw.matmul, 2 * n * d * V);  // tied: lm_head's weight gradient
    // Forward: lm_head + q,k,v,out + fc1, fc2 + attention core.
    QCOMPARE(p.forward.matmul, 2 * n * d * V + 4 * 2 * n * d * d + 2 * 2 * n * d * f + 4 * B * S * S * d);
  }

  // Elementwise FLOPs (norms, activations, softmax, cross-entropy, biases, residuals) are
  // estimates the LibTorch profiler does not count (it reports mm/addmm/bmm and plain add/mul,
  // while LayerNorm, softmax and the loss run as fused kernels). Their rules, counted by hand per
  // family (per element: norm 7 forward / 8 backward, softmax 5 / 4 per score, cross-entropy 5 / 2
  // per logit, ReLU 1 / 1, SiLU-gate 5 / 7, bias or norm-scale gradient 1, residual add 1), with
  // n = B*s tokens, d hidden, f FFN, V vocab, L layers, H heads:
  //  OPT (pre-LN, biases, ReLU, tied):
  //   forward = 5nV + 7nd (final norm) + L * (2nd residual + nd + nd (fc2, out_proj bias) + 3nd (q/k/v bias)
  //             + 2 * 7nd (norms) + nf (fc1 bias) + nf (ReLU) + 5BHs^2)
  //   full    = forward + reach (2nV + 8nd + L * (2 * 8nd + nf + 4BHs^2))
  //             + dw (2nd final norm + L * (9nd + nf) + nd positions + nd tokens)
  //  Llama (RMSNorm scale only, no biases, SiLU-gate):
  //   forward = 5nV + 7nd + L * (2nd + 2 * 7nd + 5nf + 5BHs^2)
  //   full    = forward + 2nV + 8nd + L * (2 * 8nd + 7nf + 4BHs^2) + nd + L * 2nd + nd (tokens)
  void elementwiseFlopsMatchTheHandCount_data() {
    QTest::addColumn<QString>("fixture");
    QTest::newRow("opt") << "models/opt";
    QTest::newRow("llama") << "models/llama-gqa-tied";
  }
  void elementwiseFlopsMatchTheHandCount() {
    QFETCH(QString, fixture);
    const auto c = ModelConfig::fromFile(test::fixture(fixture.toStdString()) / "config.json");
    const double B = 2, s = 8, n = B * s, d = double(c.hiddenSize), f = double(c.ffnDim), V = double(c.vocabSize), L = double(c.numLayers),
                 H = double(c.numHeads);
    const FlopsProfile p = profileFlops(c, 2, 8);
    double forward = 0, full = 0;
    if (c.modelType == "opt") {
      forward = 5 * n * V + 7 * n * d + L * (2 * n * d + 2 * n * d + 3 * n * d + 14 * n * d + 2 * n * f + 5 * B * H * s * s);
      full = forward + 2 * n * V + 8 * n * d + L * (16 * n * d + n * f + 4 * B * H * s * s) + 2 * n * d + L * (9 * n * d + n * f) + 2 * n * d;
    } else {
      forward = 5 * n * V + 7 * n * d + L * (2 * n * d + 14 * n * d + 5 * n * f + 5 * B * H * s * s);
      full = forward + 2 * n * V + 8 * n * d + L * (16 * n * d + 7 * n * f + 4 * B * H * s * s) + n * d + L * 2 * n * d + n * d;
    }
    QVERIFY2(std::abs(p.forward.elementwise - forward) <= 1e-9 * forward,
             qPrintable(QString("forward elementwise %1, hand count %2").arg(p.forward.elementwise).arg(forward)));
    QVERIFY2(std::abs(p.full.elementwise - full) <= 1e-9 * full, qPrintable(QString("full elementwise %1, hand count %2").arg(p.full.elementwise).arg(full)));
    // A small share of T_full, as GREENTRAINER.md says (about 2% at real sizes; more for these tiny widths).
    QVERIFY(p.full.elementwise < 0.5 * p.full.total());
  }

  void rejectsBadShape() {
    const auto c = ModelConfig::fromJson(nlohmann::json::parse(R"({"model_type":"gpt2","vocab_size":10,"n_embd":8,"n_layer":1,
      "n_head":2,"n_positions":16})"), "t");
    QCOMPARE(QString::fromStdString(test::errorMessage([&] { profileFlops(c, 0, 4); })),
             QString("profile: batch and seq must be positive, got 0 x 4"));
  }
};

QTEST_GUILESS_MAIN(TestFlopsProfiler)
#include "test_flops_profiler.moc"
