// T5 (encoder-decoder) against the Python reference (../shared/fixtures/models/t5-gated, made with
// transformers 5.17): logits and loss within 1e-4, each gradient within 1e-4 of its tensor's max
// magnitude, greedy and 4-beam generations identical. Plus what the fixture does not cover: the
// decoder's KV cache against a full decode, encoder padding, ReLU / untied / scaled-head configs,
// T5's relative position buckets worked by hand from transformers' formula, and the errors.
#include <QtTest/QtTest>

#include <cstring>
#include <set>

#include "core/io/checkpoint.h"
#include "core/io/safetensors.h"
#include "core/model/model_factory.h"
#include "core/model/seq2seq_generation.h"
#include "core/model/t5.h"
#include "core/model/tensor_names.h"
#include "core/train/resumable_run.h"
#include "core/train/trainer.h"
#include "test_support.h"

using namespace gt;
using gt::test::fixture;

namespace {

ModelConfig t5Config(const std::string& extra) {
  return ModelConfig::fromJson(nlohmann::json::parse(R"({"model_type":"t5","vocab_size":97,"d_model":32,"d_kv":8,"d_ff":48,
    "num_layers":2,"num_heads":4,"relative_attention_num_buckets":8,"relative_attention_max_distance":20,
    "pad_token_id":0,"eos_token_id":1,"decoder_start_token_id":0)" + extra + "}"),
                               "test config");
}

std::shared_ptr<Seq2SeqLM> randomT5(const std::string& extra) {
  auto model = createSeq2SeqModel(t5Config(extra));
  torch::NoGradGuard noGrad;
  for (auto& p : model->parameters()) p.uniform_(-0.5, 0.5);  // norms and biases matter too
  model->eval();
  return model;
}

}  // namespace

class TestT5 : public QObject {
  Q_OBJECT

 private Q_SLOTS:
  void initTestCase() { torch::manual_seed(0); }

  void referenceParity() {
    const auto dir = fixture("models/t5-gated");
    if (dir.empty()) QSKIP("fixture model t5-gated not found in tests/fixtures or ../shared/fixtures");
    auto model = loadSeq2SeqModel(dir);
    QVERIFY(model->config().gatedFeedForward);
    QVERIFY(!model->config().scaleDecoderOutputs);  // the fixture's config says so, with a tied head
    SafetensorsFile ref(dir / "reference.safetensors");
    const auto ids = ref.tensor("input_ids").clone();
    const auto mask = ref.tensor("attention_mask").clone();
    const auto labels = ref.tensor("decoder_labels").clone();

    const auto decoderInput = shiftTokensRight(labels, model->config().decoderStartTokenId, model->config().padTokenId);
    auto logits = model->forward(ids, mask, decoderInput);
    const double logitDiff = gt::test::maxAbsDiff(logits, ref.tensor("logits"));
    QVERIFY2(logitDiff < 1e-4, qPrintable(QString("logits differ by %1").arg(logitDiff)));

    auto loss = seq2seqLmLoss(logits, labels);
    const double lossDiff = std::abs(loss.item<double>() - ref.tensor("loss").item<double>());
    QVERIFY2(lossDiff < 1e-4, qPrintable(QString("loss differs by %1").arg(lossDiff)));

    loss.backward();
    int checked = 0;
    const std::string mismatch = gt::test::gradientMismatch(*model, dir / "reference.safetensors", false, checked);
    QVERIFY2(mismatch.empty(), mismatch.c_str());
    QCOMPARE(checked, 51);  // 2 x 14 decoder + 2 x 9 encoder tensors, 2 relative biases (block 0), 2 final norms, shared

    // Generation from the whole first row (the fixture's row 0 has no padding), EOS from generation_config.json.
    const auto input = gt::test::toIds(ids[0]);
    GenerationOptions g;
    g.maxNewTokens = 10;
    g.eosTokenIds = eosTokenIds(dir, model->config());
    QCOMPARE(g.eosTokenIds, std::vector<int64_t>{1});
    QCOMPARE(generateSeq2Seq(*model, input, g), gt::test::toIds(ref.tensor("generate.greedy")));
    g.numBeams = 4;
    g.earlyStopping = true;
    QCOMPARE(generateSeq2Seq(*model, input, g), gt::test::toIds(ref.tensor("generate.beam4")));

    // Batched (right-padded inputs of 16, 11 and 3 tokens) gives each input its own search result.
    const std::vector<std::vector<int64_t>> inputs = {input, gt::test::toIds(ids[1].slice(0, 0, 11)),
                                                      gt::test::toIds(ids[0].slice(0, 5, 8))};
    for (int64_t beams : {int64_t(1), int64_t(4)}) {
      g.numBeams = beams;
      const auto batched = generateSeq2SeqBatch(*model, inputs, g);
      QCOMPARE(batched.size(), inputs.size());
      QCOMPARE(batched[0], gt::test::toIds(ref.tensor(beams == 1 ? "generate.greedy" : "generate.beam4")));
      for (size_t i = 1; i < inputs.size(); ++i) QCOMPARE(batched[i], generateSeq2Seq(*model, inputs[i], g));
    }
  }

  // The fixture's shapes, read back from disk after saving (tied head: shared.weight once).
  void saveAndLoadKeepTheModel() {
    const auto dir = fixture("models/t5-gated");
    if (dir.empty()) QSKIP("fixture model t5-gated not found");
    auto model = loadSeq2SeqModel(dir);
    gt::test::TempDir tmp;
    saveModel(*model, tmp.path() / "saved");
    CheckpointTensors saved(tmp.path() / "saved");
    CheckpointTensors original(dir);
    QCOMPARE(saved.names(), original.names());
    for (const auto& n : original.names()) QVERIFY2(torch::equal(saved.tensor(n), original.tensor(n)), n.c_str());
    QCOMPARE(ModelConfig::fromFile(tmp.path() / "saved/config.json").decoderStartTokenId, int64_t(0));
  }

  // Incremental decoding with the cache (self-attention keys/values and the encoder's
  // cross-attention keys/values) must reproduce a full decode, for configurations beyond the fixture.
  void cacheMatchesFullDecode_data() {
    QTest::addColumn<QString>("extra");
    QTest::newRow("gated-gelu, tied, unscaled") << QString(R"(,"feed_forward_proj":"gated-gelu","scale_decoder_outputs":false)");
    QTest::newRow("relu, tied head scaled (T5 v1.0)") << QString(R"(,"feed_forward_proj":"relu")");
    QTest::newRow("gated-silu, untied, 3 decoder layers") << QString(R"(,"feed_forward_proj":"gated-silu","tie_word_embeddings":false,
      "num_decoder_layers":3)");
  }

  void cacheMatchesFullDecode() {
    QFETCH(QString, extra);
    auto model = randomT5(extra.toStdString());
    torch::NoGradGuard noGrad;
    auto ids = torch::randint(2, 97, {2, 7}, torch::kLong);
    auto decoderIds = torch::randint(2, 97, {2, 6}, torch::kLong);
    auto encoded = model->encode(ids);
    auto full = model->decode(decoderIds, encoded);
    Seq2SeqCache cache;
    std::vector<torch::Tensor> steps = {model->decode(decoderIds.slice(1, 0, 2), encoded, {}, &cache)};
    for (int64_t t = 2; t < 6; ++t) steps.push_back(model->decode(decoderIds.slice(1, t, t + 1), encoded, {}, &cache));
    const double diff = gt::test::maxAbsDiff(full, torch::cat(steps, 1));
    QVERIFY2(diff < 1e-4, qPrintable(QString("cached decoding differs by %1").arg(diff)));
    QVERIFY(full.abs().max().item<double>() > 1e-3);  // the check is not vacuous

    // Right padding of the encoder input changes nothing for the real tokens' outputs.
    auto mask = torch::ones({2, 7}, torch::kLong);
    mask.index_put_({1, torch::indexing::Slice(4, torch::indexing::None)}, 0);
    auto padded = model->forward(ids, mask, decoderIds);
    auto alone = model->forward(ids[1].slice(0, 0, 4).unsqueeze(0), {}, decoderIds[1].unsqueeze(0));
    const double padDiff = gt::test::maxAbsDiff(padded[1], alone[0]);
    QVERIFY2(padDiff < 1e-4, qPrintable(QString("encoder padding leaks into the decoder: %1").arg(padDiff)));
    // Not vacuous: without the mask the padding tokens change the logits.
    QVERIFY(gt::test::maxAbsDiff(model->forward(ids, {}, decoderIds)[1], alone[0]) > 1e-3);
  }

  // A tied head sees decoder output * d_model^-0.5 when scale_decoder_outputs says so (and, where
  // the key is absent, as transformers 4 always did with a tied head).
  void scaledHeadFollowsTheConfig() {
    QVERIFY(t5Config("").scaleDecoderOutputs);
    QVERIFY(!t5Config(R"(,"tie_word_embeddings":false)").scaleDecoderOutputs);
    auto scaled = randomT5("");
    auto unscaled = createSeq2SeqModel(t5Config(R"(,"scale_decoder_outputs":false)"));
    torch::NoGradGuard noGrad;
    for (const auto& p : scaled->named_parameters()) unscaled->named_parameters()[p.key()].copy_(p.value());
    scaled->eval();  // no dropout (T5's dropout_rate defaults to 0.1)
    unscaled->eval();
    auto ids = torch::randint(2, 97, {1, 5}, torch::kLong);
    auto dec = torch::randint(2, 97, {1, 3}, torch::kLong);
    const double diff = gt::test::maxAbsDiff(scaled->forward(ids, {}, dec) * std::sqrt(32.0), unscaled->forward(ids, {}, dec));
    QVERIFY2(diff < 1e-4, qPrintable(QString("scaled head differs by %1").arg(diff)));
  }

  // transformers' _relative_position_bucket worked by hand. Bidirectional, 32 buckets, max distance 128:
  // 16 per direction, distances below 8 exact, then 8 + floor(log(d / 8) / log(16) * 8), at most 15;
  // keys after the query add 16. Unidirectional: 32 buckets for the past, below 16 exact, then
  // 16 + floor(log(d / 16) / log(8) * 16); future keys fall in bucket 0.
  void relativePositionBuckets() {
    auto rel = torch::tensor({0, -1, 1, -7, -8, -16, -30, 16, -127, -128, -1000}, torch::kLong);
    QCOMPARE(gt::test::toIds(relativePositionBucket(rel, true, 32, 128)),
             (std::vector<int64_t>{0, 1, 17, 7, 8, 10, 11, 26, 15, 15, 15}));
    auto past = torch::tensor({0, 5, -5, -15, -16, -20, -40, -127, -128, -500}, torch::kLong);
    QCOMPARE(gt::test::toIds(relativePositionBucket(past, false, 32, 128)), (std::vector<int64_t>{0, 0, 5, 15, 16, 17, 23, 31, 31, 31}));
  }

  // `eval` and `generate` on a T5 folder with a SentencePiece tokenizer: eval's prompt is the
  // encoder-decoder template ("summarize: {source}") followed by EOS, the very input generate
  // builds from --prompt, so with the same search both give the same text.
  void evalAndGenerateOnTheCommandLine() {
    gt::test::TempDir tmp;
    if (!gt::test::writeTinyT5(tmp.path() / "model")) QSKIP("fixture tokenizer sentencepiece-4k not found");
    gt::test::writeFile(tmp.path() / "data.jsonl",
                        R"({"source":"a small tool to convert images","target":"image converter","split":"test"}
{"source":"library for parsing JSON documents quickly","target":"JSON parser","split":"test"}
{"source":"not in the split","target":"skipped","split":"train"}
)");
    const QString dir = QString::fromStdString((tmp.path() / "model").string());
    const auto eval = gt::test::runCli({"eval", "--model", dir, "--data", QString::fromStdString((tmp.path() / "data.jsonl").string()),
                                        "--max-new-tokens", "6", "--predictions", QString::fromStdString((tmp.path() / "p.jsonl").string()),
                                        "--json"});
    QVERIFY2(eval.code == 0, qPrintable(eval.err));
    const auto summary = nlohmann::json::parse(eval.out.toStdString());
    QCOMPARE(summary["examples"].get<int64_t>(), int64_t(2));
    const auto rows = gt::test::readJsonl(tmp.path() / "p.jsonl");
    QCOMPARE(rows.size(), size_t(2));
    QCOMPARE(rows[1]["reference"].get<std::string>(), std::string("JSON parser"));

    const auto gen = gt::test::runCli({"generate", dir, "--prompt", "summarize: library for parsing JSON documents quickly", "--beams", "4",
                                       "--early-stopping", "--repetition-penalty", "2.5", "--max-new-tokens", "6", "--json"});
    QVERIFY2(gen.code == 0, qPrintable(gen.err));
    const auto out = nlohmann::json::parse(gen.out.toStdString());
    const auto ids = out["ids"].get<std::vector<int64_t>>();
    QCOMPARE(ids.front(), int64_t(0));  // the decoder start token
    QVERIFY(ids.size() >= 2 && ids.size() <= 7);
    QString text = QString::fromStdString(out["text"].get<std::string>()).trimmed();
    QCOMPARE(text, QString::fromStdString(rows[1]["prediction"].get<std::string>()));
    QVERIFY(!text.isEmpty());  // not vacuous: a random model still writes something

  }

  // `train` fine-tunes a T5 folder: GreenTrainer trains exactly the tensors it selects (the saved
  // weights of every other tensor are the original's, byte for byte), Full FT changes every tensor,
  // FT-Top2 only the decoder's final norm and the shared embedding, LoRA only (merged) q and v; the
  // loss falls; validation loss and ROUGE are recorded; the block-wise methods say they need a
  // decoder-only model.
  void trainsOnTheCommandLine() {
    gt::test::TempDir tmp;
    if (!gt::test::writeTinyT5(tmp.path() / "model")) QSKIP("fixture tokenizer sentencepiece-4k not found");
    std::string rows;
    const char* words[] = {"image", "audio", "text", "network", "file", "video", "font", "mail"};
    for (int i = 0; i < 40; ++i) {
      const std::string w = words[i % 8], v = words[(i * 3 + 1) % 8];
      const char* split = i < 32 ? "train" : i < 36 ? "valid" : "test";
      rows += nlohmann::json({{"source", "a tool that converts " + w + " into " + v + " quickly"}, {"target", w + " to " + v + " converter"},
                              {"split", split}})
                  .dump() +
              "\n";
    }
    gt::test::writeFile(tmp.path() / "data.jsonl", rows);
    const QString model = QString::fromStdString((tmp.path() / "model").string());
    const QString data = QString::fromStdString((tmp.path() / "data.jsonl").string());
    auto train = [&](const QString& method, const QString& out) {
      return gt::test::runCli({"train", "--model", model, "--data", data, "--method", method, "--rho", "0.7", "--epochs", "3", "--batch-size",
                               "8", "--lr", "3e-3", "--max-length", "48", "--eval-split", "valid", "--generate-split", "test",
                               "--eval-max-new-tokens", "6", "--checkpoint-every", "0", "--out",
                               QString::fromStdString((tmp.path() / out.toStdString()).string())});
    };
    CheckpointTensors original(tmp.path() / "model");
    auto changed = [&](const std::string& run) {
      CheckpointTensors trained(tmp.path() / run / "model");
      std::set<std::string> names;
      for (const auto& n : original.names())
        if (!torch::equal(original.tensor(n), trained.tensor(n))) names.insert(n);
      return names;
    };

    const auto greenTrainer = train("gt", "gt");
    QVERIFY2(greenTrainer.code == 0, qPrintable(greenTrainer.err));
    const auto record = nlohmann::json::parse(gt::test::readFile(tmp.path() / "gt/run.json"));
    QCOMPARE(record["status"].get<std::string>(), std::string("finished"));
    QCOMPARE(record["config"]["prompt_template"].get<std::string>(), std::string("summarize: {source}{target}"));
    std::set<std::string> selected;
    QCOMPARE(record["selections"].size(), size_t(3));
    for (const auto& sel : record["selections"]) {
      QVERIFY(sel["predicted_fraction"].get<double>() <= 0.7);
      for (const auto& n : sel["selected"]) selected.insert(n.get<std::string>());
    }
    QVERIFY(!selected.empty());
    QCOMPARE(changed("gt"), selected);  // trained exactly what it selected
    QVERIFY(selected.size() < original.names().size());
    const auto& epochs = record["epochs"];
    QVERIFY2(epochs.back()["mean_loss"].get<double>() < epochs.front()["mean_loss"].get<double>(), epochs.dump().c_str());
    QVERIFY(epochs.back()["eval_loss"].get<double>() > 0);
    QCOMPARE(record["generation_evals"].back()["examples"].get<int64_t>(), int64_t(4));
    QVERIFY(record["totals"]["fraction"].get<double>() <= 0.7);  // training FLOPs / Full FT's on the same batches

    // `selections` names an encoder-decoder's blocks by stack.
    const auto report = gt::test::runCli({"selections", QString::fromStdString((tmp.path() / "gt").string()), "--json"});
    QVERIFY2(report.code == 0, qPrintable(report.err));
    const auto rowsJson = nlohmann::json::parse(report.out.toStdString()).at(0)["selections"];
    std::set<std::string> expectedBlocks;
    for (const auto& sel : record["selections"])
      for (const auto& n : sel["selected"]) {
        const auto b = encoderDecoderBlockOf(n.get<std::string>());
        if (b.index >= 0) expectedBlocks.insert(b.stack + " " + std::to_string(b.index));
      }
    QVERIFY(!expectedBlocks.empty());
    QCOMPARE(rowsJson.size(), record["selections"].size());
    for (const auto& row : rowsJson) {
      const std::string blocks = row["blocks"].get<std::string>();
      QVERIFY2(blocks.rfind("decoder ", 0) == 0 || blocks.rfind("encoder ", 0) == 0 || blocks == "-", blocks.c_str());
      QVERIFY(row["layers"].empty());  // no decoder-only layer numbers
    }
    // The first selection's blocks, worked out from its tensor names.
    std::set<int64_t> dec, enc;
    for (const auto& n : record["selections"][0]["selected"]) {
      const auto b = encoderDecoderBlockOf(n.get<std::string>());
      if (b.index >= 0) (b.stack == "decoder" ? dec : enc).insert(b.index);
    }
    auto ranges = [](const std::set<int64_t>& s) {
      return s.size() == 2 ? std::to_string(*s.begin()) + "-" + std::to_string(*s.rbegin()) : std::to_string(*s.begin());
    };
    std::string expected = dec.empty() ? "" : "decoder " + ranges(dec);
    if (!enc.empty()) expected += (expected.empty() ? "" : "; ") + std::string("encoder ") + ranges(enc);
    QCOMPARE(rowsJson[0]["blocks"].get<std::string>(), expected);

    const auto full = train("full", "full");
    QVERIFY2(full.code == 0, qPrintable(full.err));
    QCOMPARE(changed("full").size(), original.names().size());
    const auto top2 = train("top2", "top2");
    QVERIFY2(top2.code == 0, qPrintable(top2.err));
    QCOMPARE(changed("top2"), (std::set<std::string>{"decoder.final_layer_norm.weight", "shared.weight"}));

    // LoRA on T5 (PEFT's q and v of every attention): the saved model is the merged one, so exactly the
    // adapted weights differ; the adapter on the base model generates what the merged model does.
    const auto lora = train("lora", "lora");
    QVERIFY2(lora.code == 0, qPrintable(lora.err));
    std::set<std::string> adapted;
    for (const auto& n : original.names())
      for (const char* suffix : {"Attention.q.weight", "Attention.v.weight"})
        if (n.size() > std::strlen(suffix) && n.compare(n.size() - std::strlen(suffix), std::string::npos, suffix) == 0) adapted.insert(n);
    QCOMPARE(adapted.size(), size_t(12));  // encoder 2 x (q, v), decoder 2 x (self q, v, cross q, v)
    QCOMPARE(changed("lora"), adapted);
    const auto adapterConfig = nlohmann::json::parse(gt::test::readFile(tmp.path() / "lora/adapter/adapter_config.json"));
    QCOMPARE(adapterConfig["task_type"].get<std::string>(), std::string("SEQ_2_SEQ_LM"));
    QCOMPARE(adapterConfig["target_modules"].get<std::vector<std::string>>(), (std::vector<std::string>{"q", "v"}));
    auto evalPredictions = [&](const QStringList& modelArgs, const std::string& out) {
      QStringList args = {"eval", "--data", data, "--beams", "1", "--max-new-tokens", "6", "--predictions",
                          QString::fromStdString((tmp.path() / out).string())};
      const auto r = gt::test::runCli(args + modelArgs);
      return r.code == 0 ? gt::test::readFile(tmp.path() / out) : "failed: " + r.err.toStdString();
    };
    const auto merged = evalPredictions({"--model", QString::fromStdString((tmp.path() / "lora/model").string())}, "merged.jsonl");
    QCOMPARE(evalPredictions({"--model", model, "--adapter", QString::fromStdString((tmp.path() / "lora/adapter").string())}, "adapter.jsonl"),
             merged);
    QVERIFY(merged.find("\"prediction\"") != std::string::npos);

    const auto lisa = train("lisa", "lisa");
    QCOMPARE(lisa.code, 1);
    QCOMPARE(lisa.err.trimmed(), QString("error: method 'lisa' supports decoder-only models; for model_type 't5' (an encoder-decoder) use full, "
                                         "gt, top2 or lora"));
    QVERIFY(!std::filesystem::exists(tmp.path() / "lisa/run.json"));
  }

  // A T5 run stopped mid-epoch and resumed from its checkpoint ends with exactly the weights and
  // record of a run never stopped (gt re-selecting inside epochs, and lora).
  void resumeIsBitExact_data() {
    QTest::addColumn<QString>("method");
    QTest::newRow("gt") << QString("gt");
    QTest::newRow("lora") << QString("lora");
  }

  void resumeIsBitExact() {
    QFETCH(QString, method);
    gt::test::TempDir tmp;
    if (!gt::test::writeTinyT5(tmp.path() / "model")) QSKIP("fixture tokenizer sentencepiece-4k not found");
    std::string rows;
    for (int i = 0; i < 12; ++i)
      rows += nlohmann::json({{"source", "package number " + std::to_string(i) + " converts files"}, {"target", "converter " + std::to_string(i)}})
                  .dump() +
              "\n";
    gt::test::writeFile(tmp.path() / "data.jsonl", rows);
    auto config = [&](const std::string& out) {
      RunConfig c;
      c.model = (tmp.path() / "model").string();
      c.data = (tmp.path() / "data.jsonl").string();
      c.method = method.toStdString();
      c.rho = 0.7;
      c.epochs = 2;
      c.batchSize = 4;  // 3 steps an epoch
      c.lr = 3e-3;
      c.maxLength = 48;
      c.reselectEverySteps = 2;
      c.checkpointEverySteps = 1;
      c.outDir = (tmp.path() / out).string();
      return c;
    };
    const RunRecord straight = Trainer(config("straight")).run();
    QCOMPARE(QString::fromStdString(straight.status), QString("finished"));
    {
      RunControl control;
      gt::test::CancelAfter observer(control, 4);
      QCOMPARE(QString::fromStdString(Trainer(config("stopped"), &observer, &control).run().status), QString("cancelled"));
    }
    const RunRecord resumed = Trainer(resumableRunConfig(tmp.path() / "stopped"), nullptr, nullptr, RunFolderMode::Resume).run();
    QCOMPARE(QString::fromStdString(resumed.status), QString("finished"));
    QCOMPARE(resumed.steps.size(), straight.steps.size());
    for (size_t i = 0; i < straight.steps.size(); ++i) QCOMPARE(resumed.steps[i].loss, straight.steps[i].loss);
    CheckpointTensors a(tmp.path() / "straight/model"), b(tmp.path() / "stopped/model");
    QCOMPARE(a.names(), b.names());
    for (const auto& n : a.names()) QVERIFY2(torch::equal(a.tensor(n), b.tensor(n)), n.c_str());
  }

  // `profile` on a T5 folder: the chain for both lengths, checked against LibTorch's count of the
  // matmul FLOPs that run for random selections.
  void profileOnTheCommandLine() {
    const auto dir = fixture("models/t5-gated");
    if (dir.empty()) QSKIP("fixture model t5-gated not found");
    const auto r = gt::test::runCli({"profile", QString::fromStdString(dir.string()), "--batch", "2", "--seq", "16", "--decoder-seq", "8",
                                     "--verify", "12", "--json", "-"});
    QVERIFY2(r.code == 0, qPrintable(r.err));
    const auto j = nlohmann::json::parse(r.out.toStdString());
    QCOMPARE(j["decoder_seq"].get<int64_t>(), int64_t(8));
    QCOMPARE(j["tensors"].size(), size_t(51));
    QCOMPARE(j["tensors"].back()["name"].get<std::string>(), std::string("shared.weight"));
    QVERIFY2(j["verify"]["max_rel_error_matmul"].get<double>() < 0.01, j["verify"].dump().c_str());
    QVERIFY(j["verify"]["t_full_rel_error_matmul"].get<double>() < 0.01);
    const auto missing = gt::test::runCli({"profile", QString::fromStdString(dir.string()), "--batch", "2", "--seq", "16"});
    QCOMPARE(missing.code, 1);
    QCOMPARE(missing.err.trimmed(),
             QString("error: --decoder-seq: model_type 't5' is an encoder-decoder; give the decoder's length (target tokens per example)"));
  }

  void errorsNameTheProblem() {
    QCOMPARE(QString::fromStdString(gt::test::errorMessage([] { t5Config(R"(,"feed_forward_proj":"gelu-gated")"); })),
             QString("test config: feed_forward_proj 'gelu-gated' is not valid (expected 'ACT' or 'gated-ACT', e.g. 'relu' or "
                     "'gated-gelu')"));
    QCOMPARE(QString::fromStdString(gt::test::errorMessage([] { t5Config(R"(,"feed_forward_proj":"gated-swiglu")"); })),
             QString("test config: unsupported activation 'swiglu' (expected relu, gelu, gelu_new, gelu_pytorch_tanh, gelu_fast, silu or "
                     "swish)"));
    QCOMPARE(QString::fromStdString(gt::test::errorMessage([] { createModel(t5Config("")); })),
             QString("model_type 't5' is an encoder-decoder model; this command supports decoder-only models (opt, bloom, gpt2, llama, "
                     "qwen2). Encoder-decoders run with train (methods full, gt, top2, lora), eval, generate, profile and inspect"));
    const auto opt = ModelConfig::fromJson(nlohmann::json::parse(
        R"({"model_type":"opt","vocab_size":50,"hidden_size":16,"num_hidden_layers":1,"ffn_dim":32,"num_attention_heads":2,"max_position_embeddings":32})"));
    QCOMPARE(QString::fromStdString(gt::test::errorMessage([&] { createSeq2SeqModel(opt); })),
             QString("model_type 'opt' is a decoder-only model, not an encoder-decoder (expected t5)"));
    auto model = randomT5("");
    QCOMPARE(QString::fromStdString(gt::test::errorMessage([&] { generateSeq2Seq(*model, {3, 97}, {}); })),
             QString("generate: prompt token id 97 is outside the vocabulary [0, 97)"));
    QCOMPARE(QString::fromStdString(gt::test::errorMessage([&] { generateSeq2Seq(*model, {}, {}); })),
             QString("generate: the prompt is empty (expected at least one token id)"));
    QCOMPARE(QString::fromStdString(gt::test::errorMessage([] { shiftTokensRight(torch::zeros({3}, torch::kLong), 0, 0); })),
             QString("decoder labels: expected shape [B, T]"));
  }
};

QTEST_GUILESS_MAIN(TestT5)
#include "test_t5.moc"

