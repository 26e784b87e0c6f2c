// A run's output folder treated as a transaction (issue 13): one process at a time (an flock
// held for the object's lifetime), never the input model's folder, never another run's files
// unless asked, and every published file or folder written under a temporary name and renamed
// into place, so a kill at any instant leaves either the previous consistent state or the new one.
#pragma once
#include <cstdint>
#include <filesystem>
#include <functional>
#include <string>
#include <vector>

namespace gt {

enum class RunFolderMode {
  New,        // the folder must be absent or empty
  Overwrite,  // a previous run's files are removed at the first publication (only a run's files: anything else is refused)
  Resume,     // the folder must hold a run; its files are kept
};

class RunFolder {
 public:
  // Opens `dir` (created when absent) for a run. Throws gt::Error naming the folder when:
  // it is, contains or lies inside one of `inputs` (the model and tokenizer folders); another
  // process holds it (the message names its PID); it is not empty (New) or holds files that are
  // not a run's (Overwrite); it cannot be written; or it has less than `needBytes` free.
  // Temporary files and folders left by a killed run are removed. With Overwrite, the earlier run
  // stays until the first publish (so a run refused before it starts leaves it as it was), and
  // its size counts as free space.
  RunFolder(std::filesystem::path dir, RunFolderMode mode, const std::vector<std::filesystem::path>& inputs, uint64_t needBytes);
  // Releases the lock and removes .lock (a finished run leaves none). A folder this object created
  // and in which nothing was published is removed.
  ~RunFolder();
  RunFolder(const RunFolder&) = delete;
  RunFolder& operator=(const RunFolder&) = delete;

  const std::filesystem::path& dir() const { return dir_; }

  // Writes a file (dir/name) atomically and durably (fsync before the rename).
  void publishFile(const std::string& name, const std::string& bytes);
  // Builds a folder with `write` (given an empty staging folder) and swaps it in as dir/name in
  // one rename; the previous folder of that name, if any, is removed afterwards.
  void publishFolder(const std::string& name, const std::function<void(const std::filesystem::path&)>& write);
  // Removes dir/name (file or folder) if present.
  void remove(const std::string& name);

  // The names a run writes into its folder (what Overwrite may remove).
  static const std::vector<std::string>& runEntries();

 private:
  void release();
  void clearPreviousRun();
  std::filesystem::path dir_;
  std::vector<std::string> previousRun_;  // Overwrite: the earlier run's entries, until the first publication
  int lockFd_ = -1;
  bool created_ = false, published_ = false;
};

// Bytes the files under `path` take (a file's size, or the sum over a folder's files).
uint64_t bytesUnder(const std::filesystem::path& path);

}  // namespace gt
