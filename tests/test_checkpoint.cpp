// Hugging Face folders: save/load round trip, shards, dtype conversion, and every bad-input
// message (config.json missing or malformed, unknown model_type, missing or mis-shaped tensor).
#include <QtTest/QtTest>

#include "core/io/checkpoint.h"
#include "core/io/safetensors.h"
#include "core/util/json_file.h"
#include "test_support.h"

using namespace gt;
namespace fs = std::filesystem;

namespace {

// Copies a fixture model folder into `to` so a test may damage it.
void copyModel(const fs::path& from, const fs::path& to) {
  fs::create_directories(to);
  for (const char* f : {"config.json", "generation_config.json", "model.safetensors"}) fs::copy_file(from / f, to / f);
}

// Rewrites model.safetensors in `dir` through `edit` (name -> tensor map).
void editWeights(const fs::path& dir, const std::function<void(std::map<std::string, torch::Tensor>&)>& edit) {
  std::map<std::string, torch::Tensor> tensors;
  {
    SafetensorsFile f(dir / "model.safetensors");
    for (const auto& n : f.names()) tensors[n] = f.tensor(n).clone();
  }
  edit(tensors);
  writeSafetensors(dir / "model.safetensors", {tensors.begin(), tensors.end()});
}

}  // namespace

class TestCheckpoint : public QObject {
  Q_OBJECT
  fs::path opt_;

 private Q_SLOTS:
  void initTestCase() {
    opt_ = test::fixture("models/opt");
    if (opt_.empty()) QSKIP("fixture models/opt not found");
  }

  void saveThenLoadIsIdentical_data() {
    QTest::addColumn<QString>("name");
    for (const char* n : {"opt", "bloom", "gpt2", "llama-gqa-tied"}) QTest::newRow(n) << QString(n);
  }

  void saveThenLoadIsIdentical() {
    QFETCH(QString, name);
    const auto dir = test::fixture("models/" + name.toStdString());
    if (dir.empty()) QSKIP("fixture not found");
    auto model = loadModel(dir);
    test::TempDir tmp;
    saveModel(*model, tmp.path() / "saved", dir);
    QVERIFY(fs::exists(tmp.path() / "saved" / "generation_config.json"));
    auto again = loadModel(tmp.path() / "saved");
    auto a = model->named_parameters(true), b = again->named_parameters(true);
    QCOMPARE(a.size(), b.size());
    for (const auto& p : a) QVERIFY2(torch::equal(p.value(), b[p.key()]), p.key().c_str());
    // Same tensor names as the Hugging Face original (tied lm_head not stored).
    SafetensorsFile original(dir / "model.safetensors"), saved(tmp.path() / "saved" / "model.safetensors");
    auto on = original.names(), sn = saved.names();
    std::sort(on.begin(), on.end());
    std::sort(sn.begin(), sn.end());
    QCOMPARE(sn, on);
    const auto config = readJsonFile(tmp.path() / "saved" / "config.json");
    QCOMPARE(QString::fromStdString(config["model_type"].get<std::string>()), name.startsWith("llama") ? QString("llama") : name);
  }

  void loadsShardedCheckpoint() {
    test::TempDir tmp;
    const auto dir = tmp.path() / "sharded";
    fs::create_directories(dir);
    fs::copy_file(opt_ / "config.json", dir / "config.json");
    SafetensorsFile f(opt_ / "model.safetensors");
    std::vector<std::pair<std::string, torch::Tensor>> first, second;
    nlohmann::json index = {{"metadata", {{"total_size", 0}}}, {"weight_map", nlohmann::json::object()}};
    for (const auto& n : f.names()) {
      const bool one = n.find("layers.1.") == std::string::npos;
      (one ? first : second).emplace_back(n, f.tensor(n));
      index["weight_map"][n] = one ? "model-00001-of-00002.safetensors" : "model-00002-of-00002.safetensors";
    }
    writeSafetensors(dir / "model-00001-of-00002.safetensors", first);
    writeSafetensors(dir / "model-00002-of-00002.safetensors", second);
    test::writeFile(dir / "model.safetensors.index.json", index.dump());
    auto a = loadModel(opt_), b = loadModel(dir);
    for (const auto& p : a->named_parameters(true)) QVERIFY2(torch::equal(p.value(), b->named_parameters(true)[p.key()]), p.key().c_str());

    fs::remove(dir / "model-00002-of-00002.safetensors");
    const auto msg = test::errorMessage([&] { loadModel(dir); });
    QVERIFY2(QString::fromStdString(msg).contains("shard 'model-00002-of-00002.safetensors' (for tensor 'model.decoder.layers.1."),
             msg.c_str());
  }

  void convertsStoredAndComputeDtypes() {
    test::TempDir tmp;
    const auto dir = tmp.path() / "half";
    copyModel(opt_, dir);
    editWeights(dir, [](auto& t) {
      for (auto& [_, v] : t) v = v.to(torch::kFloat16);
    });
    auto fp32 = loadModel(opt_);
    auto fromHalf = loadModel(dir);  // F16 on disk, fp32 compute
    const auto w = fromHalf->named_parameters(true)["model.decoder.layers.0.fc1.weight"];
    QCOMPARE(w.scalar_type(), torch::kFloat32);
    QVERIFY(torch::equal(w, fp32->named_parameters(true)["model.decoder.layers.0.fc1.weight"].to(torch::kFloat16).to(torch::kFloat32)));
    LoadOptions bf16;
    bf16.dtype = torch::kBFloat16;
    auto b = loadModel(opt_, bf16);
    QCOMPARE(b->named_parameters(true)["model.decoder.final_layer_norm.weight"].scalar_type(), torch::kBFloat16);
    saveModel(*b, tmp.path() / "bf16");
    SafetensorsFile saved(tmp.path() / "bf16" / "model.safetensors");
    QCOMPARE(saved.entry("model.decoder.embed_tokens.weight").dtype, std::string("BF16"));
    QCOMPARE(readJsonFile(tmp.path() / "bf16" / "config.json")["torch_dtype"].get<std::string>(), std::string("bfloat16"));
  }

  void configMissing() {
    test::TempDir tmp;
    copyModel(opt_, tmp.path() / "m");
    fs::remove(tmp.path() / "m" / "config.json");
    QCOMPARE(QString::fromStdString(test::errorMessage([&] { loadModel(tmp.path() / "m"); })),
             QString::fromStdString((tmp.path() / "m" / "config.json").string() + ": config.json not found"));
  }

  void configMalformed() {
    test::TempDir tmp;
    copyModel(opt_, tmp.path() / "m");
    test::writeFile(tmp.path() / "m" / "config.json", "{\"model_type\": \"opt\",");
    const auto msg = QString::fromStdString(test::errorMessage([&] { loadModel(tmp.path() / "m"); }));
    QVERIFY2(msg.startsWith(QString::fromStdString((tmp.path() / "m" / "config.json").string() + ": malformed JSON: ")), qPrintable(msg));
  }

  void configFieldWrongType() {
    test::TempDir tmp;
    copyModel(opt_, tmp.path() / "m");
    auto j = readJsonFile(opt_ / "config.json");
    j["hidden_size"] = "64";
    test::writeFile(tmp.path() / "m" / "config.json", j.dump());
    QCOMPARE(QString::fromStdString(test::errorMessage([&] { loadModel(tmp.path() / "m"); })),
             QString::fromStdString((tmp.path() / "m" / "config.json").string() + ": field 'hidden_size' must be an integer, got \"64\""));
  }

  void unknownModelType() {
    test::TempDir tmp;
    copyModel(opt_, tmp.path() / "m");
    auto j = readJsonFile(opt_ / "config.json");
    j["model_type"] = "falcon";
    test::writeFile(tmp.path() / "m" / "config.json", j.dump());
    QCOMPARE(QString::fromStdString(test::errorMessage([&] { loadModel(tmp.path() / "m"); })),
             QString::fromStdString((tmp.path() / "m" / "config.json").string() +
                                    ": unsupported model_type 'falcon' (expected one of opt, bloom, gpt2, llama, qwen2, t5)"));
  }

  void missingTensor() {
    test::TempDir tmp;
    copyModel(opt_, tmp.path() / "m");
    editWeights(tmp.path() / "m", [](auto& t) { t.erase("model.decoder.layers.1.fc2.bias"); });
    QCOMPARE(QString::fromStdString(test::errorMessage([&] { loadModel(tmp.path() / "m"); })),
             QString::fromStdString((tmp.path() / "m").string() + ": missing tensors: model.decoder.layers.1.fc2.bias"));
  }

  void wrongShape() {
    test::TempDir tmp;
    copyModel(opt_, tmp.path() / "m");
    editWeights(tmp.path() / "m", [](auto& t) { t["model.decoder.layers.0.fc1.weight"] = torch::zeros({128, 64}); });
    QCOMPARE(QString::fromStdString(test::errorMessage([&] { loadModel(tmp.path() / "m"); })),
             QString::fromStdString((tmp.path() / "m").string() + ": shape mismatch: 'model.decoder.layers.0.fc1.weight' is [128, 64] in " +
                                    (tmp.path() / "m" / "model.safetensors").string() + ", the config expects [256, 64]"));
  }

  void notAFolder() {
    QCOMPARE(QString::fromStdString(test::errorMessage([&] { loadModel("/nonexistent/model"); })),
             QString("/nonexistent/model: not a model folder (expected config.json and model.safetensors)"));
  }
};

QTEST_GUILESS_MAIN(TestCheckpoint)
#include "test_checkpoint.moc"
