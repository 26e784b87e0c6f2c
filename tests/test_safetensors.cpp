// safetensors reader/writer: round trip of every dtype, and each malformed file rejected with a
// message naming the file and the tensor.
#include <QtTest/QtTest>

#include "core/io/safetensors.h"
#include "test_support.h"

using namespace gt;
namespace fs = std::filesystem;

namespace {

// Builds a safetensors file from a header JSON text and raw data bytes.
std::string rawFile(const std::string& header, const std::string& data, int64_t claimedLength = -1) {
  const uint64_t n = claimedLength >= 0 ? uint64_t(claimedLength) : header.size();
  std::string out(8, '\0');
  for (int i = 0; i < 8; ++i) out[size_t(i)] = char((n >> (8 * i)) & 0xff);
  return out + header + data;
}

}  // namespace

class TestSafetensors : public QObject {
  Q_OBJECT

 private Q_SLOTS:
  void roundTripAllDtypes() {
    test::TempDir tmp;
    const auto path = tmp.path() / "t.safetensors";
    std::vector<std::pair<std::string, torch::Tensor>> tensors = {
        {"f32", torch::randn({3, 4})},
        {"f16", torch::randn({5}).to(torch::kFloat16)},
        {"bf16", torch::randn({2, 2, 2}).to(torch::kBFloat16)},
        {"i64", torch::arange(7, torch::kLong)},
        {"i32", torch::arange(6, torch::kInt).view({2, 3})},
        {"u8", torch::arange(9, torch::kUInt8)},
        {"bool", torch::tensor({true, false, true})},
        {"empty", torch::zeros({0, 3})},
    };
    writeSafetensors(path, tensors, {{"format", "pt"}});
    SafetensorsFile f(path);
    QCOMPARE(f.names().size(), tensors.size());
    QCOMPARE(f.metadata().at("format"), std::string("pt"));
    for (const auto& [name, t] : tensors) {
      auto back = f.tensor(name);
      QCOMPARE(back.scalar_type(), t.scalar_type());
      QVERIFY2(back.sizes() == t.sizes(), name.c_str());
      QVERIFY2(torch::equal(back, t), name.c_str());
    }
    QCOMPARE(f.entry("bf16").dtype, std::string("BF16"));
    // The data section is 8-byte aligned, as the format recommends.
    const std::string bytes = test::readFile(path);
    uint64_t n = 0;
    for (int i = 7; i >= 0; --i) n = (n << 8) | static_cast<unsigned char>(bytes[size_t(i)]);
    QCOMPARE((8 + n) % 8, uint64_t(0));
    // Nothing but the file itself is left in the folder (no temporary).
    QCOMPARE(std::distance(fs::directory_iterator(tmp.path()), fs::directory_iterator()), 1L);
  }

  void readsTheReferenceFixture() {
    const auto path = test::fixture("models/opt/model.safetensors");
    if (path.empty()) QSKIP("fixture not found");
    SafetensorsFile f(path);
    QCOMPARE(f.entry("model.decoder.embed_positions.weight").shape, (std::vector<int64_t>{130, 64}));
    QCOMPARE(f.names().size(), size_t(36));
  }

  void rejectsMalformedFiles_data() {
    QTest::addColumn<QByteArray>("bytes");
    QTest::addColumn<QString>("message");
    const std::string ok = R"({"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]}})";
    QTest::newRow("truncated") << QByteArray("\x05\x00\x00", 3) << "F: truncated: 3 bytes, expected at least 8 for the header length";
    {
      auto f = rawFile(ok, std::string(8, '\0'), 4096);
      QTest::newRow("header past end") << QByteArray(f.data(), int(f.size()))
                                       << QString("F: header length 4096 runs past the end of the file (%1 bytes)").arg(f.size());
    }
    {
      auto f = rawFile(R"({"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]},"b":{"dtype":"F32","shape":[2],"data_offsets":[4,12]}})",
                       std::string(12, '\0'));
      QTest::newRow("overlap") << QByteArray(f.data(), int(f.size())) << "F: tensor 'b' overlaps tensor 'a' (bytes 4 < 8)";
    }
    {
      auto f = rawFile(R"({"a":{"dtype":"F8_E4M3","shape":[2],"data_offsets":[0,2]}})", std::string(2, '\0'));
      QTest::newRow("unknown dtype") << QByteArray(f.data(), int(f.size()))
                                     << "F: tensor 'a': unknown dtype 'F8_E4M3' (expected F32, F16, BF16, I64, I32, U8 or BOOL)";
    }
    {
      auto f = rawFile(R"({"a":{"dtype":"F32","shape":[3],"data_offsets":[0,8]}})", std::string(8, '\0'));
      QTest::newRow("shape vs bytes") << QByteArray(f.data(), int(f.size()))
                                      << "F: tensor 'a': byte length 8 does not match shape [3] of F32 (12 bytes)";
    }
    {
      auto f = rawFile(R"({"a":{"dtype":"F32","shape":[4],"data_offsets":[0,16]}})", std::string(8, '\0'));
      QTest::newRow("data past end") << QByteArray(f.data(), int(f.size()))
                                     << "F: tensor 'a': data_offsets end 16 runs past the end of the file (data section is 8 bytes)";
    }
    {
      auto f = rawFile(R"({"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]})", std::string(8, '\0'));
      QTest::newRow("bad json") << QByteArray(f.data(), int(f.size())) << "F: malformed header JSON";
    }
  }

  void rejectsMalformedFiles() {
    QFETCH(QByteArray, bytes);
    QFETCH(QString, message);
    test::TempDir tmp;
    const auto path = tmp.path() / "bad.safetensors";
    test::writeFile(path, bytes.toStdString());
    const QString got = QString::fromStdString(test::errorMessage([&] { SafetensorsFile f(path); }));
    const QString expected = QString(message).replace("F:", QString::fromStdString(path.string()) + ":");
    QVERIFY2(got.startsWith(expected), qPrintable("got: " + got + "\nexpected: " + expected));
  }

  void missingTensorNamesFile() {
    test::TempDir tmp;
    const auto path = tmp.path() / "t.safetensors";
    writeSafetensors(path, {{"x", torch::ones({2})}});
    SafetensorsFile f(path);
    QCOMPARE(QString::fromStdString(test::errorMessage([&] { f.tensor("y"); })),
             QString::fromStdString(path.string() + ": no tensor named 'y'"));
  }
};

QTEST_GUILESS_MAIN(TestSafetensors)
#include "test_safetensors.moc"
