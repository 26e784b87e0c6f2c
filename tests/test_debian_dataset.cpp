// The Debian descriptions builder on a checked-in sample of Translation-en and Packages stanzas:
// a verbatim block, a boilerplate (transitional) entry, a too-short one, a duplicate, two binary
// packages of one source, and a package missing from Packages. Output compared line by line with
// tests/fixtures/debian/expected.jsonl (written by hand from the rules).
#include <QtTest/QtTest>


#include "core/data/debian_descriptions.h"
#include "test_support.h"

using namespace gt;

class TestDebianDataset : public QObject {
  Q_OBJECT

 private Q_SLOTS:
  void sampleGivesExactOutput() {
    const auto dir = test::fixture("debian");
    QVERIFY(!dir.empty());
    test::TempDir tmp;
    const auto out = tmp.path() / "out.jsonl";
    const auto r = test::runCli({"dataset", "debian", "--translations", QString::fromStdString((dir / "Translation-en").string()),
                                 "--packages", QString::fromStdString((dir / "Packages").string()), "--out",
                                 QString::fromStdString(out.string())},
                                60000);
    QVERIFY2(r.code == 0, qPrintable(r.err));
    const QString& report = r.out;
    QVERIFY2(report.contains("descriptions read: 7\n"), qPrintable(report));
    QVERIFY2(report.contains("dropped: 1 under 20 words, 1 boilerplate, 1 duplicate, 0 empty\n"), qPrintable(report));
    QVERIFY2(report.contains("pairs: 4 (train 4, valid 0, test 0) from 2 source packages; 1 not found in Packages\n"), qPrintable(report));
    QCOMPARE(QString::fromStdString(test::readFile(out)), QString::fromStdString(test::readFile(dir / "expected.jsonl")));
  }

  void descriptionFormatting() {
    QCOMPARE(descriptionBody(" first line\n second line\n .\n next paragraph\n   verbatim  spaced\n after"),
             std::string("first line second line\nnext paragraph\n  verbatim  spaced\nafter"));
    QVERIFY(isBoilerplate("debug symbols for foo", ""));
    QVERIFY(isBoilerplate("games", "This metapackage installs all games"));
    QVERIFY(!isBoilerplate("Frobnicate widgets", "A tool."));
  }

  void splitsByHashOfSource() {
    // Values from tests/fixtures/debian/split_hash.py, an independent implementation of exactly
    // this function (basis 1469598103934665603). True FNV-1a of "" would be 0xcbf29ce484222325.
    QCOMPARE(splitHash(""), uint64_t(0x14650fb0739d0383ull));
    QCOMPARE(splitHash("foo"), uint64_t(0xfb3890511c4b930dull));
    QCOMPARE(splitHash("pkg85"), uint64_t(0x37a7bcfef8be024cull));
    QCOMPARE(splitHash("pkg145"), uint64_t(0x026821407efe3839ull));
    QCOMPARE(splitHash("linux"), uint64_t(0x1578ca8895724813ull));
    QCOMPARE(splitHash("python3-numpy"), uint64_t(0xb6287d200097f088ull));
    QCOMPARE(splitHash("zstd"), uint64_t(0x8a1da579bd68a440ull));
    QCOMPARE(splitFor("foo"), std::string("train"));
    QCOMPARE(splitFor("pkg85"), std::string("test"));
    QCOMPARE(splitFor("pkg145"), std::string("valid"));
  }
};

QTEST_GUILESS_MAIN(TestDebianDataset)
#include "test_debian_dataset.moc"
