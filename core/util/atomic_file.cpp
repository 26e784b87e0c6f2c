#include "core/util/atomic_file.h"

#include <fstream>
#include <random>

#include "core/util/error.h"

namespace gt {

void writeFileAtomically(const std::filesystem::path& path, const std::function<void(std::ostream&)>& write) {
  namespace fs = std::filesystem;
  check(path.has_filename() && !fs::is_directory(path), path.string() + ": is a folder; expected the name of a file to write");
  std::random_device rd;
  fs::path tmp = path;
  tmp += ".tmp-" + std::to_string(rd());
  try {
    {
      std::ofstream out(tmp, std::ios::binary | std::ios::trunc);
      check(static_cast<bool>(out), path.string() + ": cannot open for writing");
      write(out);
      out.flush();
      check(static_cast<bool>(out), path.string() + ": write failed (disk full?)");
    }
    fs::rename(tmp, path);
  } catch (...) {
    std::error_code ec;
    fs::remove(tmp, ec);
    throw;
  }
}

void writeTextAtomically(const std::filesystem::path& path, const std::string& text) {
  writeFileAtomically(path, [&](std::ostream& out) { out << text; });
}

}  // namespace gt
