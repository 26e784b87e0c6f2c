#include "ui/demo_setup.h"

#include <QCoreApplication>
#include <QDir>
#include <QFileInfo>

namespace gt::ui {

QString demoFolder() {
  const QString env = qEnvironmentVariable("GT_DEMO_DIR");
  if (!env.isEmpty()) return env;
  const QString installed = QDir(QCoreApplication::applicationDirPath()).filePath("../share/greentrainer/demo");
  if (QFileInfo(installed + "/model/config.json").exists()) return QDir::cleanPath(installed);
  return GT_SOURCE_DEMO_DIR;
}

RunConfig demoRunConfig() {
  const QString demo = demoFolder();
  RunConfig c;
  c.model = (demo + "/model").toStdString();
  c.data = (demo + "/debian-descriptions.jsonl").toStdString();
  c.split = "train";
  c.evalSplit = "valid";
  c.maxEvalExamples = 128;
  c.maxTrainExamples = 1000;
  c.epochs = 2;
  c.batchSize = 16;
  c.lr = 3e-4;
  c.maxLength = 256;
  c.rho = 0.5;
  c.generateSplit = "test";  // ROUGE-L before and after, as packaging/run.sh does
  c.maxGenerateExamples = 100;
  c.generateBeforeTraining = true;
  return c;
}

}  // namespace gt::ui
