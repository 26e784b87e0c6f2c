// The baselines the comparison needs: LoRA against PEFT's reference (fixtures/models/opt-lora),
// adapter export/import, merging, FT-Top2's mask, and — for every method — frozen tensors left
// bit-identical by training.
#include <QtTest/QtTest>

#include <map>
#include <set>

#include "core/green/flops_profiler.h"
#include "core/io/checkpoint.h"
#include "core/io/safetensors.h"
#include "core/model/model_factory.h"
#include "core/model/generation.h"
#include "core/train/lora.h"
#include "core/train/prefix_tuning.h"
#include "core/train/layer_schedules.h"
#include "core/train/top_blocks.h"
#include "core/train/trainer.h"
#include "core/util/json_file.h"
#include "test_support.h"

using namespace gt;
namespace fs = std::filesystem;

namespace {

// A run of `method` on the tied Llama fixture with the byte tokenizer and the tiny dataset's train split.
RunConfig llamaRun(const std::string& method) {
  RunConfig c;
  c.model = test::fixture("models/llama-gqa-tied").string();
  c.tokenizer = test::fixture("tokenizers/bytes-only").string();
  c.data = test::fixture("data/tiny.jsonl").string();
  c.split = "train";
  c.method = method;
  return c;
}

}  // namespace

class TestMethods : public QObject {
  Q_OBJECT

 private Q_SLOTS:
  void loraMatchesPeftReference() {
    const auto base = test::fixture("models/opt"), adapter = test::fixture("models/opt-lora");
    if (base.empty() || adapter.empty()) QSKIP("opt / opt-lora fixtures not found");
    auto model = loadModel(base);
    model->eval();
    Lora lora = Lora::load(*model, adapter);
    QCOMPARE(lora.config().rank, int64_t(4));
    QCOMPARE(lora.config().alpha, 8.0);
    QCOMPARE(lora.parameters().size(), size_t(8));
    SafetensorsFile inputs(base / "reference.safetensors"), ref(adapter / "reference.safetensors");
    const auto logits = model->forward(inputs.tensor("input_ids").clone(), inputs.tensor("attention_mask").clone());
    const double diff = test::maxAbsDiff(logits, ref.tensor("logits"));
    QVERIFY2(diff < 1e-4, qPrintable(QString("logits differ by %1").arg(diff)));
    const double lossDiff = std::abs(causalLmLoss(logits, inputs.tensor("labels").clone()).item<double>() - ref.tensor("loss").item<double>());
    QVERIFY2(lossDiff < 1e-4, qPrintable(QString("loss differs by %1").arg(lossDiff)));
    // Without the adapter the logits are the base model's (the fixture's B is non-zero, so they differ).
    const auto plainLogits = loadModel(base)->forward(inputs.tensor("input_ids").clone(), inputs.tensor("attention_mask").clone());
    QVERIFY(test::maxAbsDiff(plainLogits, ref.tensor("logits")) > 1e-3);

    // Merged weights give the adapted logits with a plain model.
    lora.mergeAndDetach();
    QVERIFY(test::maxAbsDiff(model->forward(inputs.tensor("input_ids").clone(), inputs.tensor("attention_mask").clone()), ref.tensor("logits")) <
            1e-4);
  }

  void adapterExportImportRoundTrip() {
    const auto base = test::fixture("models/llama-gqa-tied");
    if (base.empty()) QSKIP("llama fixture not found");
    test::TempDir tmp;
    auto model = loadModel(base);
    model->eval();
    Lora lora(*model, LoraConfig{4, 16, 0.0, {}}, 7);
    {
      torch::NoGradGuard ng;
      for (auto& [name, t] : lora.parameters()) t.normal_(0, 0.05);  // B starts at zero; make the adapter matter
    }
    const auto ids = torch::tensor({{1, 5, 9, 3, 7, 2}}, torch::kLong);
    const auto adapted = model->forward(ids);
    lora.save(tmp.path() / "adapter", base.string());
    const auto cfg = readJsonFile(tmp.path() / "adapter" / "adapter_config.json");
    QCOMPARE(cfg["peft_type"].get<std::string>(), std::string("LORA"));
    QCOMPARE(cfg["r"].get<int64_t>(), int64_t(4));
    QCOMPARE(cfg["lora_alpha"].get<double>(), 16.0);
    QCOMPARE(cfg["target_modules"].get<std::vector<std::string>>(), (std::vector<std::string>{"q_proj", "v_proj"}));
    SafetensorsFile saved(tmp.path() / "adapter" / "adapter_model.safetensors");
    QVERIFY(saved.contains("base_model.model.model.layers.1.self_attn.v_proj.lora_B.weight"));
    QCOMPARE(saved.tensor("base_model.model.model.layers.0.self_attn.q_proj.lora_A.weight").sizes().vec(), (std::vector<int64_t>{4, 64}));

    auto fresh = loadModel(base);
    fresh->eval();
    Lora::load(*fresh, tmp.path() / "adapter");
    QCOMPARE(test::maxAbsDiff(fresh->forward(ids), adapted), 0.0);

    // A target the model lacks, and an adapter file missing a tensor, are refused by name.
    auto other = loadModel(base);
    QCOMPARE(QString::fromStdString(test::errorMessage([&] { Lora(*other, LoraConfig{4, 16, 0.0, {"query_key_value"}}, 0); })),
             QString("LoRA: target 'query_key_value' matches no linear layer of this llama model"));
    auto j = cfg;
    j["target_modules"] = {"q_proj", "k_proj"};
    test::writeFile(tmp.path() / "adapter" / "adapter_config.json", j.dump());
    QCOMPARE(QString::fromStdString(test::errorMessage([&] { Lora::load(*loadModel(base), tmp.path() / "adapter"); })),
             QString::fromStdString((tmp.path() / "adapter" / "adapter_model.safetensors").string() +
                                    ": missing tensor base_model.model.model.layers.0.self_attn.k_proj.lora_A.weight"));
  }

  // The prefix is attended by every token: a full forward equals an incremental one, batched
  // generation equals single generation, and the prefix changes the logits.
  void prefixIsConsistentAcrossForwardAndGeneration() {
    const auto base = test::fixture("models/llama-gqa-tied");
    if (base.empty()) QSKIP("llama fixture not found");
    auto model = loadModel(base);
    model->eval();
    torch::NoGradGuard ng;
    const PrefixTuning prefix(model->config(), 3, 1, torch::kCPU);
    const auto ids = torch::tensor({{1, 5, 9, 3, 7, 2}, {4, 4, 8, 6, 1, 3}}, torch::kLong);
    auto past = prefix.cache(2);
    const auto full = model->forward(ids, prefix.extendMask({}, ids), &past);
    QCOMPARE(past.length(), int64_t(3 + 6));
    auto past2 = prefix.cache(2);
    const auto head = ids.slice(1, 0, 4), tail = ids.slice(1, 4);
    const auto a = model->forward(head, prefix.extendMask({}, head), &past2);
    const auto b = model->forward(tail, torch::ones({2, 3 + 6}, torch::kLong), &past2);
    QVERIFY(test::maxAbsDiff(torch::cat({a, b}, 1), full) < 1e-5);
    QVERIFY(test::maxAbsDiff(model->forward(ids), full) > 1e-3);

    GenerationOptions g;
    g.maxNewTokens = 5;
    g.numBeams = 3;
    g.earlyStopping = true;
    g.prefixCache = [&](int64_t rows) { return prefix.cache(rows); };
    const std::vector<std::vector<int64_t>> prompts = {{1, 5, 9}, {4, 4, 8, 6, 1}};
    const auto batched = generateBatch(*model, prompts, g);
    for (size_t i = 0; i < prompts.size(); ++i) QCOMPARE(batched[i], generate(*model, prompts[i], g));
  }

  // The paper's FT-Top2: the final norm (all its tensors) and the output embedding -- lm_head when
  // untied, the token embedding it shares otherwise -- for each family.
  void ftTop2TrainsFinalNormAndOutputEmbedding() {
    auto selected = [](const ModelConfig& c) {
      const auto profile = profileFlops(c, 2, 8);
      const auto mask = ftTop2Mask(profile, c.tieWordEmbeddings);
      std::set<std::string> names;
      for (size_t i = 0; i < mask.size(); ++i)
        if (mask[i]) names.insert(profile.tensors[i].name);
      return names;
    };
    using Names = std::set<std::string>;
    nlohmann::json llama = {{"model_type", "llama"}, {"vocab_size", 64}, {"hidden_size", 16}, {"intermediate_size", 32},
                            {"num_hidden_layers", 4}, {"num_attention_heads", 2}, {"num_key_value_heads", 1}, {"tie_word_embeddings", true}};
    QCOMPARE(selected(ModelConfig::fromJson(llama, "tied")), (Names{"model.norm.weight", "model.embed_tokens.weight"}));
    llama["tie_word_embeddings"] = false;
    QCOMPARE(selected(ModelConfig::fromJson(llama, "untied")), (Names{"model.norm.weight", "lm_head.weight"}));
    QCOMPARE(selected(ModelConfig::fromFile(test::fixture("models/opt") / "config.json")),
             (Names{"model.decoder.final_layer_norm.weight", "model.decoder.final_layer_norm.bias", "model.decoder.embed_tokens.weight"}));
    QCOMPARE(selected(ModelConfig::fromFile(test::fixture("models/bloom") / "config.json")),
             (Names{"transformer.ln_f.weight", "transformer.ln_f.bias", "transformer.word_embeddings.weight"}));
    QCOMPARE(selected(ModelConfig::fromFile(test::fixture("models/gpt2") / "config.json")),
             (Names{"transformer.ln_f.weight", "transformer.ln_f.bias", "transformer.wte.weight"}));
  }

  // LISA: N distinct sampled layers per round (seeded, sorted), every layer drawn about equally
  // often, everything outside the layers always on. BAdam: one layer per round in the asked order;
  // "random" is a fresh permutation of the layers each pass.
  void lisaAndBadamFollowTheirSchedules() {
    const auto config = ModelConfig::fromJson(
        {{"model_type", "llama"}, {"vocab_size", 64}, {"hidden_size", 16}, {"intermediate_size", 32}, {"num_hidden_layers", 8},
         {"num_attention_heads", 2}, {"num_key_value_heads", 1}, {"tie_word_embeddings", false}},
        "test config");
    const auto profile = profileFlops(config, 2, 8);
    std::map<int64_t, int> drawn;
    std::set<std::vector<int64_t>> distinct;
    for (int64_t round = 0; round < 200; ++round) {
      const auto layers = lisaLayers(8, 2, 42, round);
      QCOMPARE(layers.size(), size_t(2));
      QVERIFY(layers[0] < layers[1] && layers[0] >= 0 && layers[1] < 8);
      QCOMPARE(lisaLayers(8, 2, 42, round), layers);  // a function of (seed, round)
      for (int64_t l : layers) ++drawn[l];
      distinct.insert(layers);
      const auto mask = lisaMask(profile, 8, 2, 42, round);
      for (size_t i = 0; i < mask.size(); ++i) {
        const int64_t layer = decoderLayerOf(profile.tensors[i].name);
        QCOMPARE(bool(mask[i]), layer < 0 || layer == layers[0] || layer == layers[1]);
      }
    }
    QVERIFY(distinct.size() >= 20);
    for (int64_t l = 0; l < 8; ++l) QVERIFY2(drawn[l] >= 30 && drawn[l] <= 70, qPrintable(QString("layer %1 drawn %2 times of 50 expected").arg(l).arg(drawn[l])));
    QVERIFY(lisaLayers(8, 2, 43, 0) != lisaLayers(8, 2, 42, 0) || lisaLayers(8, 2, 43, 1) != lisaLayers(8, 2, 42, 1));

    for (int64_t round = 0; round < 24; ++round) {
      QCOMPARE(badamLayer(8, "ascending", 42, round), round % 8);
      QCOMPARE(badamLayer(8, "descending", 42, round), 7 - round % 8);
    }
    for (int64_t pass = 0; pass < 3; ++pass) {
      std::set<int64_t> seen;
      for (int64_t r = 0; r < 8; ++r) seen.insert(badamLayer(8, "random", 42, pass * 8 + r));
      QCOMPARE(seen.size(), size_t(8));
    }
    const auto mask = badamMask(profile, 8, "ascending", 42, 3);
    for (size_t i = 0; i < mask.size(); ++i) QCOMPARE(bool(mask[i]), decoderLayerOf(profile.tensors[i].name) == 3);
    QCOMPARE(QString::fromStdString(test::errorMessage([&] { lisaLayers(8, 9, 42, 0); })),
             QString("lisa_layers (--lisa-layers): expected 1..8 layers, got 9"));
    QCOMPARE(QString::fromStdString(test::errorMessage([&] { badamLayer(8, "sideways", 42, 0); })),
             QString("badam_order (--badam-order): expected ascending, descending or random, got 'sideways'"));
  }

  // Trained through the trainer: selections at every switch with the scheduled masks, and each
  // step's FLOPs the profiler's for the mask in force at that step's shape.
  void lisaAndBadamRunsRecordTheirMasks_data() {
    QTest::addColumn<QString>("method");
    QTest::newRow("lisa") << "lisa";
    QTest::newRow("badam") << "badam";
  }
  void lisaAndBadamRunsRecordTheirMasks() {
    QFETCH(QString, method);
    const auto base = test::fixture("models/llama-gqa-tied");
    test::TempDir tmp;
    RunConfig c = llamaRun(method.toStdString());
    c.epochs = 2;
    c.batchSize = 2;  // 5 steps an epoch
    c.lr = 1e-3;
    c.lisaLayers = 1;
    c.lisaInterval = 3;
    c.badamInterval = 3;
    c.badamOrder = "descending";
    c.saveModel = false;
    c.outDir = (tmp.path() / "run").string();
    const RunRecord r = Trainer(c).run();
    QCOMPARE(r.steps.size(), size_t(10));
    QCOMPARE(r.selections.size(), size_t(4));  // steps 0, 3, 6, 9
    const auto config = loadModel(base)->config();
    const auto reference = profileFlops(config, r.referenceBatch, r.referenceSeq);
    for (size_t k = 0; k < r.selections.size(); ++k) {
      QCOMPARE(r.selections[k].step, int64_t(3 * k));
      const auto expected = c.method == "lisa" ? lisaMask(reference, 2, 1, c.seed, int64_t(k)) : badamMask(reference, 2, "descending", c.seed, int64_t(k));
      std::vector<std::string> names;
      for (size_t i = 0; i < expected.size(); ++i)
        if (expected[i]) names.push_back(reference.tensors[i].name);
      QVERIFY(r.selections[k].selected == names);
    }
    for (const auto& step : r.steps) {
      const auto& sel = r.selections[size_t(step.step / 3)];
      const auto shape = profileFlops(config, step.batch, step.seq);
      std::vector<bool> mask(shape.tensors.size(), false);
      for (size_t i = 0; i < mask.size(); ++i) mask[i] = std::count(sel.selected.begin(), sel.selected.end(), shape.tensors[i].name) > 0;
      QCOMPARE(step.flops, shape.stepFlops(mask).total());
    }
  }

  void topBlocksSelectsLastBlocksAndFinalNorm() {
    const auto config = ModelConfig::fromJson(
        {{"model_type", "llama"}, {"vocab_size", 64}, {"hidden_size", 16}, {"intermediate_size", 32}, {"num_hidden_layers", 4},
         {"num_attention_heads", 2}, {"num_key_value_heads", 1}, {"tie_word_embeddings", true}},
        "test config");
    const auto profile = profileFlops(config, 2, 8);
    const auto mask = topBlocksMask(profile, 4, 2);
    std::vector<std::string> selected;
    for (size_t i = 0; i < mask.size(); ++i)
      if (mask[i]) selected.push_back(profile.tensors[i].name);
    QCOMPARE(selected.size(), size_t(2 * 9 + 1));  // 9 tensors per block (norms, q k v o, gate up down) + model.norm
    for (const auto& n : selected)
      QVERIFY2(n == "model.norm.weight" || n.find("model.layers.2.") == 0 || n.find("model.layers.3.") == 0, n.c_str());
    QCOMPARE(QString::fromStdString(test::errorMessage([&] { topBlocksMask(profile, 4, 5); })), QString("top blocks: expected 1..4 blocks, got 5"));
  }

  // One optimizer step with each method: every tensor the method freezes is bit-identical in the
  // saved model, and every tensor it trains has moved.
  void frozenTensorsStayBitIdentical_data() {
    QTest::addColumn<QString>("method");
    for (const char* m : {"full", "gt", "top2", "top-blocks", "lora", "prefix"}) QTest::newRow(m) << m;
  }
  void frozenTensorsStayBitIdentical() {
    QFETCH(QString, method);
    const auto base = test::fixture("models/llama-gqa-tied");
    if (base.empty()) QSKIP("llama fixture not found");
    test::TempDir tmp;
    RunConfig c = llamaRun(method.toStdString());
    c.rho = 0.4;
    c.epochs = 1;
    c.batchSize = 4;
    c.maxTrainExamples = 4;  // one step
    c.lr = 1e-2;
    c.loraTargets = "q_proj,v_proj";
    c.outDir = (tmp.path() / "run").string();
    const RunRecord r = Trainer(c).run();
    QCOMPARE(r.steps.size(), size_t(1));
    QVERIFY(r.totalFlops < r.totalFlopsFull || c.method == "full");
    if (c.method == "prefix") {
      // The model is untouched (not even re-saved); the prefix moved away from its seeded start.
      QVERIFY(!fs::exists(tmp.path() / "run" / "model"));
      SafetensorsFile saved(tmp.path() / "run" / "prefix" / "prefix_model.safetensors");
      const PrefixTuning initial(loadModel(base)->config(), c.prefixTokens, c.seed, torch::kCPU);
      QCOMPARE(saved.tensor("prompt_embeddings").sizes().vec(), (std::vector<int64_t>{20, 2 * 2 * 2 * 16}));
      QVERIFY(!torch::equal(saved.tensor("prompt_embeddings"), initial.parameters()[0].second.detach()));
      auto m = loadModel(base);
      const auto loaded = loadAdapter(*m, tmp.path() / "run" / "prefix");
      QVERIFY(loaded.prefix && !loaded.lora);
      QVERIFY(torch::equal(loaded.prefix->parameters()[0].second.detach(), saved.tensor("prompt_embeddings")));
      QCOMPARE(QString::fromStdString(test::errorMessage([&] { loadAdapter(*m, tmp.path()); })),
               QString::fromStdString(tmp.path().string() +
                                      ": not an adapter folder (expected adapter_config.json for LoRA or prefix_config.json for a prefix)"));
      return;
    }

    std::set<std::string> trained;
    const auto profile = profileFlops(loadModel(base)->config(), 2, 8);
    if (c.method == "full")
      for (const auto& t : profile.tensors) trained.insert(t.name);
    if (c.method == "gt") trained.insert(r.selections.at(0).selected.begin(), r.selections.at(0).selected.end());
    if (c.method == "top2") trained = {"model.norm.weight", "model.embed_tokens.weight"};  // tied fixture
    if (c.method == "top-blocks") {
      const auto mask = topBlocksMask(profile, 2, 2);
      for (size_t i = 0; i < mask.size(); ++i)
        if (mask[i]) trained.insert(profile.tensors[i].name);
    }
    if (c.method == "top2" || c.method == "top-blocks") {
      // The step's FLOPs are the profiler's for exactly the trained tensors, at the step's shape.
      const auto shape = profileFlops(loadModel(base)->config(), r.steps[0].batch, r.steps[0].seq);
      std::vector<bool> mask(shape.tensors.size(), false);
      for (size_t i = 0; i < mask.size(); ++i) mask[i] = trained.count(shape.tensors[i].name) > 0;
      QCOMPARE(r.steps[0].flops, shape.stepFlops(mask).total());
    }
    if (c.method == "lora")
      for (int layer : {0, 1})
        for (const char* p : {"q_proj", "v_proj"}) trained.insert("model.layers." + std::to_string(layer) + ".self_attn." + p + ".weight");
    QVERIFY(!trained.empty());
    QVERIFY(c.method == "full" || trained.size() < profile.tensors.size());

    SafetensorsFile before(base / "model.safetensors"), after(tmp.path() / "run" / "model" / "model.safetensors");
    int frozen = 0, moved = 0;
    for (const auto& name : before.names()) {
      const bool same = torch::equal(before.tensor(name), after.tensor(name));
      if (trained.count(name)) {
        QVERIFY2(!same, qPrintable(QString::fromStdString(name) + " should have trained"));
        ++moved;
      } else {
        QVERIFY2(same, qPrintable(QString::fromStdString(name) + " should be frozen"));
        ++frozen;
      }
    }
    QCOMPARE(moved, int(trained.size()));
    QVERIFY(c.method == "full" || frozen > 0);
    if (c.method == "lora") {
      // The exported adapter on the base model gives the merged model's logits.
      auto adapted = loadModel(base);
      adapted->eval();
      QVERIFY(loadAdapter(*adapted, tmp.path() / "run" / "adapter").lora);
      auto merged = loadModel(tmp.path() / "run" / "model");
      const auto ids = torch::tensor({{1, 5, 9, 3, 7, 2}}, torch::kLong);
      torch::NoGradGuard ng;
      QVERIFY(test::maxAbsDiff(adapted->forward(ids), merged->forward(ids)) < 1e-5);
    }
    // Predicted FLOPs: below Full FT for every method but full.
    QVERIFY(c.method == "full" ? r.totalFlops == r.totalFlopsFull : r.totalFlops < r.totalFlopsFull);
  }
};

QTEST_GUILESS_MAIN(TestMethods)
#include "test_methods.moc"
