// The Debian package as a user installs it: `cpack -G DEB` in the build folder, then its file list,
// control fields, manual pages, AppStream metadata and desktop entry checked with Debian's own tools
// (dpkg-deb, groff, appstreamcli, desktop-file-validate; packaging/install-deps.sh installs them).
#include <QRegularExpression>
#include <QtTest>

#include "test_support.h"

namespace fs = std::filesystem;
using gt::test::runProcess;  // a missing tool fails (code -2, its name in err)

namespace {

QString str(const fs::path& p) { return QString::fromStdString(p.string()); }

}  // namespace

class TestPackaging : public QObject {
  Q_OBJECT
  gt::test::TempDir tmp_;
  fs::path deb_, root_;

 private Q_SLOTS:
  void initTestCase() {
    const auto r = runProcess("cpack", {"--config", GT_BUILD_DIR "/CPackConfig.cmake", "-G", "DEB", "-B", str(tmp_.path() / "out")}, 600000);
    QVERIFY2(r.code == 0, qPrintable(r.out + r.err));
    for (const auto& e : fs::directory_iterator(tmp_.path() / "out"))
      if (e.path().extension() == ".deb") deb_ = e.path();
    QVERIFY2(!deb_.empty(), qPrintable("cpack wrote no .deb: " + r.out));
    root_ = tmp_.path() / "root";
    const auto x = runProcess("dpkg-deb", {"-x", str(deb_), str(root_)});
    QVERIFY2(x.code == 0, qPrintable(x.err));
  }

  void controlFieldsNameThePackageAndItsLibraries() {
    QCOMPARE(QString::fromStdString(deb_.filename().string()), QString("greentrainer-studio_0.1.0_amd64.deb"));
    const auto r = runProcess("dpkg-deb", {"--field", str(deb_), "Package", "Version", "Architecture", "Section", "Recommends", "Depends"});
    QCOMPARE(r.code, 0);
    QVERIFY2(r.out.startsWith("Package: greentrainer-studio\nVersion: 0.1.0\nArchitecture: amd64\nSection: science\n"
                              "Recommends: libopenblas0-openmp\nDepends: "),
             qPrintable(r.out));
    const auto description = runProcess("dpkg-deb", {"--field", str(deb_), "Description"});
    QVERIFY2(description.out.startsWith("fine-tune language models with adaptive backpropagation (GreenTrainer)\n"
                                        " GreenTrainer Studio fine-tunes transformer language models stored as Hugging Face folders.\n"
                                        " At each selection"),
             qPrintable(description.out));
    // dpkg-shlibdeps found the shared libraries the binaries and the SentencePiece plugin link.
    for (const char* lib : {"libtorch1.13 ", "libqt6widgets6", "libqcustomplot2.1-qt6", "libsentencepiece0", "libpcre2-8-0", "libutf8proc2"})
      QVERIFY2(r.out.contains(lib), qPrintable(QString("Depends lacks %1: %2").arg(lib, r.out)));
  }

  void filesAreWhereDebianLooksForThem() {
    for (const char* path : {"usr/bin/greentrainer", "usr/bin/greentrainer-studio", "usr/lib/greentrainer/libgt_sentencepiece.so",
                             "usr/share/man/man1/greentrainer.1.gz", "usr/share/man/man1/greentrainer-studio.1.gz",
                             "usr/share/applications/greentrainer-studio.desktop",
                             "usr/share/icons/hicolor/scalable/apps/greentrainer-studio.svg",
                             "usr/share/metainfo/io.github.greentrainer.studio.metainfo.xml",
                             "usr/share/doc/greentrainer-studio/copyright", "usr/share/greentrainer/demo/model/config.json",
                             "usr/share/greentrainer/demo/model/model.safetensors", "usr/share/greentrainer/demo/debian-descriptions.jsonl"})
      QVERIFY2(fs::is_regular_file(root_ / path), path);
    // Nothing from the build or test trees.
    for (const auto& e : fs::recursive_directory_iterator(root_)) {
      const auto rel = fs::relative(e.path(), root_).string();
      QVERIFY2(rel.rfind("usr", 0) == 0, rel.c_str());
      QVERIFY2(rel.find("test") == std::string::npos && rel.find("CMakeFiles") == std::string::npos, rel.c_str());
    }
  }

  void installedCliRunsAndPrintsItsManualPage() {
    const auto version = runProcess(str(root_ / "usr/bin/greentrainer"), {"--version"});
    QCOMPARE(version.code, 0);
    QVERIFY2(version.out.startsWith("greentrainer 0.1.0\n"), qPrintable(version.out));
    // The installed page is what the installed binary prints.
    const auto man = runProcess(str(root_ / "usr/bin/greentrainer"), {"--man"});
    QCOMPARE(man.code, 0);
    const auto gunzip = runProcess("gzip", {"-dc", str(root_ / "usr/share/man/man1/greentrainer.1.gz")});
    QCOMPARE(gunzip.code, 0);
    QCOMPARE(gunzip.out, man.out);
  }

  void manualPagesRenderWithoutWarnings_data() {
    QTest::addColumn<QString>("page");
    QTest::newRow("greentrainer") << "greentrainer.1.gz";
    QTest::newRow("greentrainer-studio") << "greentrainer-studio.1.gz";
  }
  void manualPagesRenderWithoutWarnings() {
    QFETCH(QString, page);
    const auto source = tmp_.path() / page.chopped(3).toStdString();
    const auto gunzip = runProcess("gzip", {"-dc", str(root_ / "usr/share/man/man1" / page.toStdString())});
    QCOMPARE(gunzip.code, 0);
    gt::test::writeFile(source, gunzip.out.toStdString());
    const auto r = runProcess("groff", {"-man", "-ww", "-z", str(source)});
    QCOMPARE(r.code, 0);
    QCOMPARE(r.err, QString());  // -ww: every warning, e.g. an unknown escape or macro
  }

  void manualPageListsEveryCommandAndOption() {
    const auto man = runProcess(GT_CLI_PATH, {"--man"}).out;
    // Entries written by hand from the option table: a typed option with its default, a flag, a
    // required repeated option of a nested command, a positional, a non-ASCII character.
    QVERIFY(man.startsWith(".TH GREENTRAINER 1 \"\" \"greentrainer 0.1.0\" \"User Commands\"\n.SH NAME\ngreentrainer \\- fine\\-tune "
                           "transformer language models with adaptive backpropagation (GreenTrainer)\n"));
    QVERIFY(man.contains(".TP\n\\fB\\-\\-rho\\fR \\fIFLOAT\\fR\nFLOPs budget as a fraction of Full FT, in (0, 1] (default 0.5)\n"));
    QVERIFY(man.contains(".TP\n\\fB\\-\\-markdown\\fR\nPrint a Markdown table\n"));
    QVERIFY(man.contains(".SS greentrainer dataset debian [OPTIONS]\nDebian package descriptions \\-> synopses\n"));
    QVERIFY(man.contains(".TP\n\\fB\\-\\-translations\\fR \\fITEXT\\fR ...\nTranslation\\-en index files (plain text). Required.\n"));
    QVERIFY(man.contains(".SS greentrainer compare [OPTIONS] RUN_DIR...\n"));
    QVERIFY(man.contains(".TP\n\\fIRUN_DIR\\fR ...\nRun folders (or their run.json files). Required.\n"));
    QVERIFY(man.contains("mean \\[u00B1] sample sd"));
    QVERIFY(man.contains(".TP\n\\fB\\-\\-log\\-level\\fR \\fITEXT\\fR\ntrace, debug, info, warn, error or off. Default: info.\n"));
    // Every command --help lists has its section, and every option of `train --help` its entry.
    const auto help = gt::test::runCli({"--help"}).out;
    const auto commands = help.mid(help.indexOf("Subcommands:"));
    int sections = 0;
    for (const auto& m : QRegularExpression("^  ([a-z]+) ", QRegularExpression::MultilineOption).globalMatch(commands)) {
      QVERIFY2(man.contains(QRegularExpression("^\\.SS greentrainer " + m.captured(1) + " ", QRegularExpression::MultilineOption)),
               qPrintable(m.captured(1)));
      ++sections;
    }
    QCOMPARE(sections, 14);
    const auto train = gt::test::runCli({"train", "--help"}).out;
    int options = 0;
    for (const auto& m : QRegularExpression("^  (--[a-z0-9-]+)", QRegularExpression::MultilineOption).globalMatch(train)) {
      if (m.captured(1) == "--help") continue;
      QString escaped = m.captured(1);
      escaped.replace("-", "\\-");
      QVERIFY2(man.contains("\\fB" + escaped + "\\fR"), qPrintable(m.captured(1)));
      ++options;
    }
    QVERIFY2(options > 50, qPrintable(QString::number(options)));
  }

  void desktopEntryAndAppStreamMetadataValidate() {
    const auto desktop = runProcess("desktop-file-validate", {str(root_ / "usr/share/applications/greentrainer-studio.desktop")});
    QVERIFY2(desktop.code == 0 && desktop.out.isEmpty(), qPrintable(desktop.out + desktop.err));
    const auto appstream = runProcess("appstreamcli", {"validate", "--no-net", str(root_ / "usr/share/metainfo/io.github.greentrainer.studio.metainfo.xml")});
    QVERIFY2(appstream.code == 0, qPrintable(appstream.out + appstream.err));
  }
};

QTEST_GUILESS_MAIN(TestPackaging)
#include "test_packaging.moc"
