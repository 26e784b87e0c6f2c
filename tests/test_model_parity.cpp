// Every model family against the Python reference (../shared/fixtures/models, made with
// transformers): logits and loss within 1e-4, each gradient within 1e-4 of its tensor's max
// magnitude, greedy and 4-beam generations identical. Plus KV-cache consistency for
// configurations the fixtures do not cover (post-LN OPT with project_in/out, Llama with biases,
// Qwen2, untied heads, BLOOM with a non-power-of-two head count).
#include <QtTest/QtTest>

#include "core/io/checkpoint.h"
#include "core/io/safetensors.h"
#include "core/model/generation.h"
#include "core/model/model_factory.h"
#include "core/util/json_file.h"
#include "test_support.h"

using namespace gt;
using gt::test::fixture;

namespace {

ModelConfig tinyConfig(const nlohmann::json& j) { return ModelConfig::fromJson(j, "test config"); }

}  // namespace

class TestModelParity : public QObject {
  Q_OBJECT

 private Q_SLOTS:
  void initTestCase() { torch::manual_seed(0); }

  void referenceParity_data() {
    QTest::addColumn<QString>("name");
    for (const char* n : {"opt", "bloom", "gpt2", "llama-gqa-tied"}) QTest::newRow(n) << QString(n);
  }

  void referenceParity() {
    QFETCH(QString, name);
    const auto dir = fixture("models/" + name.toStdString());
    if (dir.empty()) QSKIP("fixture model not found in tests/fixtures or ../shared/fixtures");
    auto model = loadModel(dir);
    SafetensorsFile ref(dir / "reference.safetensors");
    const auto ids = ref.tensor("input_ids").clone();
    const auto mask = ref.tensor("attention_mask").clone();
    const auto labels = ref.tensor("labels").clone();

    auto logits = model->forward(ids, mask);
    const double logitDiff = gt::test::maxAbsDiff(logits, ref.tensor("logits"));
    QVERIFY2(logitDiff < 1e-4, qPrintable(QString("logits differ by %1").arg(logitDiff)));

    auto loss = causalLmLoss(logits, labels);
    const double lossDiff = std::abs(loss.item<double>() - ref.tensor("loss").item<double>());
    QVERIFY2(lossDiff < 1e-4, qPrintable(QString("loss differs by %1").arg(lossDiff)));

    loss.backward();
    int checked = 0;
    const std::string mismatch = gt::test::gradientMismatch(*model, dir / "reference.safetensors", true, checked);
    QVERIFY2(mismatch.empty(), mismatch.c_str());
    QVERIFY(checked > 10);

    const auto prompt = gt::test::toIds(ids[0].slice(0, 0, 6));
    GenerationOptions g;
    g.maxNewTokens = 10;
    g.eosTokenIds = eosTokenIds(dir, model->config());
    QCOMPARE(generate(*model, prompt, g), gt::test::toIds(ref.tensor("generate.greedy")));
    g.numBeams = 4;
    g.earlyStopping = true;
    QCOMPARE(generate(*model, prompt, g), gt::test::toIds(ref.tensor("generate.beam4")));

    // Batched (left-padded, prompts of 6, 11 and 3 tokens) gives each prompt's own search result.
    const std::vector<std::vector<int64_t>> prompts = {prompt, gt::test::toIds(ids[1].slice(0, 0, 11)),
                                                       gt::test::toIds(ids[0].slice(0, 5, 8))};
    for (int64_t beams : {int64_t(1), int64_t(4)}) {
      g.numBeams = beams;
      const auto batched = generateBatch(*model, prompts, g);
      QCOMPARE(batched.size(), prompts.size());
      QCOMPARE(batched[0], gt::test::toIds(ref.tensor(beams == 1 ? "generate.greedy" : "generate.beam4")));
      for (size_t i = 1; i < prompts.size(); ++i) QCOMPARE(batched[i], generate(*model, prompts[i], g));
    }
  }

  // The KV cache must reproduce a full forward pass, for configurations beyond the fixtures.
  void cacheMatchesFullForward_data() {
    QTest::addColumn<QString>("config");
    QTest::newRow("opt post-LN, project_in/out, untied") << QString(R"({"model_type":"opt","vocab_size":97,"hidden_size":32,
      "num_hidden_layers":2,"ffn_dim":48,"num_attention_heads":4,"max_position_embeddings":64,"do_layer_norm_before":false,
      "word_embed_proj_dim":16,"tie_word_embeddings":false})");
    QTest::newRow("llama with biases, untied") << QString(R"({"model_type":"llama","vocab_size":97,"hidden_size":32,
      "num_hidden_layers":2,"intermediate_size":40,"num_attention_heads":4,"num_key_value_heads":1,"attention_bias":true,
      "mlp_bias":true,"rope_theta":500.0})");
    QTest::newRow("qwen2") << QString(R"({"model_type":"qwen2","vocab_size":97,"hidden_size":32,"num_hidden_layers":2,
      "intermediate_size":40,"num_attention_heads":4,"num_key_value_heads":2,"tie_word_embeddings":true})");
    QTest::newRow("bloom 6 heads") << QString(R"({"model_type":"bloom","vocab_size":97,"hidden_size":48,"n_layer":2,"n_head":6})");
    QTest::newRow("gpt2 scaled by layer") << QString(R"({"model_type":"gpt2","vocab_size":97,"n_embd":32,"n_layer":2,
      "n_head":4,"n_positions":64,"scale_attn_by_inverse_layer_idx":true,"activation_function":"gelu"})");
  }

  void cacheMatchesFullForward() {
    QFETCH(QString, config);
    auto model = createModel(tinyConfig(nlohmann::json::parse(config.toStdString())));
    model->eval();
    torch::NoGradGuard noGrad;
    // Give LayerNorm/RMSNorm weights and biases non-trivial values so every path matters.
    for (auto& p : model->parameters()) p.uniform_(-0.5, 0.5);
    auto ids = torch::randint(0, 97, {2, 9}, torch::kLong);
    auto full = model->forward(ids);
    KVCache cache;
    auto first = model->forward(ids.slice(1, 0, 5), {}, &cache);
    std::vector<torch::Tensor> steps = {first};
    for (int64_t t = 5; t < 9; ++t) steps.push_back(model->forward(ids.slice(1, t, t + 1), {}, &cache));
    auto incremental = torch::cat(steps, 1);
    const double diff = gt::test::maxAbsDiff(full, incremental);
    QVERIFY2(diff < 1e-4, qPrintable(QString("cached decoding differs by %1").arg(diff)));
    QVERIFY(full.abs().max().item<double>() > 1e-3);  // the check is not vacuous

    // Right padding changes nothing for the real tokens.
    auto mask = torch::ones({2, 9}, torch::kLong);
    mask.index_put_({1, torch::indexing::Slice(6, torch::indexing::None)}, 0);
    auto padded = model->forward(ids, mask);
    auto alone = model->forward(ids[1].slice(0, 0, 6).unsqueeze(0));
    const double padDiff = gt::test::maxAbsDiff(padded[1].slice(0, 0, 6), alone[0]);
    QVERIFY2(padDiff < 1e-4, qPrintable(QString("padding leaks into real tokens: %1").arg(padDiff)));
  }

  // Training batches are right-padded and run without an attention_mask (Batch::lossMask, so that
  // attention takes its causal kernel): loss and every gradient must equal the masked forward's.
  void rightPaddedLossNeedsNoMask_data() { cacheMatchesFullForward_data(); }

  void rightPaddedLossNeedsNoMask() {
    QFETCH(QString, config);
    auto model = createModel(tinyConfig(nlohmann::json::parse(config.toStdString())));
    model->eval();  // no dropout: both forwards must see the same network (gradients flow in eval mode too)
    {
      torch::NoGradGuard noGrad;
      for (auto& p : model->parameters()) p.uniform_(-0.5, 0.5);
    }
    auto ids = torch::randint(0, 97, {3, 9}, torch::kLong);
    auto mask = torch::ones({3, 9}, torch::kLong);
    mask.index_put_({1, torch::indexing::Slice(4, torch::indexing::None)}, 0);
    mask.index_put_({2, torch::indexing::Slice(7, torch::indexing::None)}, 0);
    const auto labels = ids.masked_fill(mask == 0, -100);
    auto lossAndGrads = [&](const torch::Tensor& m) {
      model->zero_grad();
      auto loss = causalLmLoss(model->forward(ids, m), labels);
      loss.backward();
      std::vector<torch::Tensor> grads = {loss.detach()};
      for (const auto& p : model->parameters()) grads.push_back(p.grad().clone());
      return grads;
    };
    const auto masked = lossAndGrads(mask);
    const auto unmasked = lossAndGrads(torch::Tensor());
    QVERIFY(masked[0].item<double>() > 0.1);
    for (size_t i = 0; i < masked.size(); ++i) {
      const double diff = gt::test::maxAbsDiff(masked[i], unmasked[i]);
      QVERIFY2(diff < 1e-5, qPrintable(QString("%1 %2 differs by %3").arg(i == 0 ? "loss" : "gradient").arg(i).arg(diff)));
    }
    // Not vacuous: with the padding counted as real tokens the loss is another one.
    auto leaky = causalLmLoss(model->forward(ids), ids);
    QVERIFY(std::abs(leaky.item<double>() - masked[0].item<double>()) > 1e-3);
  }

  void unknownModelTypeListsSupported() {
    const std::string msg = gt::test::errorMessage([] { tinyConfig({{"model_type", "mamba"}, {"vocab_size", 10}}); });
    QCOMPARE(QString::fromStdString(msg),
             QString("test config: unsupported model_type 'mamba' (expected one of opt, bloom, gpt2, llama, qwen2, t5)"));
  }

  void generationRejectsBadPrompt() {
    auto model = createModel(tinyConfig(nlohmann::json::parse(
        R"({"model_type":"gpt2","vocab_size":50,"n_embd":16,"n_layer":1,"n_head":2,"n_positions":32})")));
    QCOMPARE(QString::fromStdString(gt::test::errorMessage([&] { generate(*model, {3, 50}, {}); })),
             QString("generate: prompt token id 50 is outside the vocabulary [0, 50)"));
    QCOMPARE(QString::fromStdString(gt::test::errorMessage([&] { generate(*model, {}, {}); })),
             QString("generate: the prompt is empty (expected at least one token id)"));
  }

  // Dropout sits where Hugging Face puts it, and only in training. With a rate of 1 a dropout site
  // outputs zeros, so what is left of the network shows where the sites are, against formulas written
  // here from the checkpoint's tensors (not through the family's code):
  //   OPT dropout (GPT-2 resid_pdrop) on each sub-layer's output before the residual add: the blocks
  //   add nothing, logits = final norm(token + position embeddings) times the tied embedding;
  //   attention dropout (Llama's attention_dropout): attention adds nothing, so a position's logits do not
  //   depend on the tokens before it;
  //   T5 dropout_rate on each stack's output: logits are 0.
  // In eval mode the same configs give the reference logits.
  void dropoutSitesAndTrainingOnly() {
    gt::test::TempDir tmp;
    auto variant = [&](const std::string& name, const nlohmann::json& changes) {
      return gt::test::modelWithConfig(fixture("models/" + name), tmp.path() / name, changes);
    };
    if (fixture("models/opt").empty() || fixture("models/gpt2").empty() || fixture("models/llama-gqa-tied").empty())
      QSKIP("fixture models not found");
    torch::NoGradGuard noGrad;
    auto layerNorm = [](const torch::Tensor& x, const torch::Tensor& w, const torch::Tensor& b, double eps) {
      const auto mean = x.mean(-1, true);
      const auto var = (x - mean).pow(2).mean(-1, true);
      return (x - mean) / torch::sqrt(var + eps) * w + b;
    };
    const auto optRef = fixture("models/opt");
    SafetensorsFile ref(optRef / "reference.safetensors");
    const auto ids = ref.tensor("input_ids").slice(0, 0, 1).clone();  // row 0: no padding
    const auto positions = torch::arange(ids.size(1));

    {  // OPT, dropout 1
      auto model = loadModel(variant("opt", {{"dropout", 1.0}, {"attention_dropout", 0.0}}));
      const double evalDiff = gt::test::maxAbsDiff(model->forward(ids), ref.tensor("logits").slice(0, 0, 1));
      QVERIFY2(evalDiff < 1e-4, qPrintable(QString("eval mode: logits differ from the reference by %1").arg(evalDiff)));
      model->train();
      SafetensorsFile w(optRef / "model.safetensors");
      const auto embed = w.tensor("model.decoder.embed_tokens.weight");
      const auto h = embed.index_select(0, ids[0]) + w.tensor("model.decoder.embed_positions.weight").index_select(0, positions + 2);
      const auto expected = torch::matmul(layerNorm(h, w.tensor("model.decoder.final_layer_norm.weight"),
                                                    w.tensor("model.decoder.final_layer_norm.bias"), 1e-5), embed.t());
      const double diff = gt::test::maxAbsDiff(model->forward(ids)[0], expected);
      QVERIFY2(diff < 1e-4, qPrintable(QString("OPT with dropout 1 in training: logits differ from the embeddings alone by %1").arg(diff)));
    }
    {  // GPT-2, resid_pdrop 1
      const auto dir = fixture("models/gpt2");
      auto model = loadModel(variant("gpt2", {{"resid_pdrop", 1.0}, {"embd_pdrop", 0.0}, {"attn_pdrop", 0.0}}));
      model->train();
      SafetensorsFile w(dir / "model.safetensors");
      const auto wte = w.tensor("transformer.wte.weight");
      const auto h = wte.index_select(0, ids[0]) + w.tensor("transformer.wpe.weight").index_select(0, positions);
      const auto expected = torch::matmul(layerNorm(h, w.tensor("transformer.ln_f.weight"), w.tensor("transformer.ln_f.bias"),
                                                    model->config().normEps), wte.t());
      const double diff = gt::test::maxAbsDiff(model->forward(ids)[0], expected);
      QVERIFY2(diff < 1e-4, qPrintable(QString("GPT-2 with resid_pdrop 1 in training: logits differ from the embeddings alone by %1").arg(diff)));
    }
    {  // Llama, attention_dropout 1: changing the first token leaves the later positions' logits alone.
      auto model = loadModel(variant("llama-gqa-tied", {{"attention_dropout", 1.0}}));
      auto other = ids.clone();
      other[0][0] = (other[0][0].item<int64_t>() + 1) % model->config().vocabSize;
      const double evalChange = gt::test::maxAbsDiff(model->forward(ids).slice(1, 1), model->forward(other).slice(1, 1));
      QVERIFY2(evalChange > 1e-3, "eval mode: the first token should reach the later positions through attention");
      model->train();
      const double trainChange = gt::test::maxAbsDiff(model->forward(ids).slice(1, 1), model->forward(other).slice(1, 1));
      QVERIFY2(trainChange < 1e-6, qPrintable(QString("attention_dropout 1 in training: later logits moved by %1").arg(trainChange)));
    }
    if (!fixture("models/t5-gated").empty()) {  // T5, dropout_rate 1: the decoder stack's output is dropped.
      const auto dir = variant("t5-gated", {{"dropout_rate", 1.0}});
      auto model = loadSeq2SeqModel(dir);
      SafetensorsFile t5(fixture("models/t5-gated") / "reference.safetensors");
      const auto labels = t5.tensor("decoder_labels");
      const auto decoderIds = torch::cat({torch::full({labels.size(0), 1}, model->config().decoderStartTokenId, torch::kLong),
                                          labels.slice(1, 0, labels.size(1) - 1).clamp_min(0)}, 1);
      model->train();
      const auto logits = model->forward(t5.tensor("input_ids"), t5.tensor("attention_mask"), decoderIds);
      QCOMPARE(logits.abs().max().item<double>(), 0.0);
    }
  }

  // A dropout probability outside [0, 1] is refused, naming the file and the field.
  void dropoutRateOutOfRange() {
    const auto message = [](const nlohmann::json& j) { return QString::fromStdString(gt::test::errorMessage([&] { tinyConfig(j); })); };
    QCOMPARE(message({{"model_type", "gpt2"}, {"vocab_size", 97}, {"n_embd", 32}, {"n_layer", 2}, {"n_head", 4}, {"n_positions", 64},
                      {"attn_pdrop", 1.5}}),
             QString("test config: field 'attn_pdrop' is a dropout probability, expected a number from 0 to 1, got 1.5"));
    QCOMPARE(message({{"model_type", "opt"}, {"vocab_size", 97}, {"hidden_size", 32}, {"num_hidden_layers", 2}, {"ffn_dim", 48},
                      {"num_attention_heads", 4}, {"max_position_embeddings", 64}, {"dropout", -0.1}}),
             QString("test config: field 'dropout' is a dropout probability, expected a number from 0 to 1, got -0.1"));
  }
};

QTEST_GUILESS_MAIN(TestModelParity)
#include "test_model_parity.moc"
