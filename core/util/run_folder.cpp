#include "core/util/run_folder.h"

#include <fcntl.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <csignal>
#include <cstdlib>
#include <map>
#include <cstdio>
#include <cstring>
#include <random>

#include "core/util/error.h"
#include "core/util/file_tree.h"

namespace gt {
namespace fs = std::filesystem;
namespace {

const char* kLockName = ".lock";
const char* kStagingPrefix = ".staging-";

std::string errnoText() { return std::strerror(errno); }

std::string randomSuffix() {
  std::random_device rd;
  return std::to_string(rd()) + std::to_string(rd());
}

// True when `inner` is `outer` or lies under it (both canonical).
bool isWithin(const fs::path& inner, const fs::path& outer) {
  auto i = inner.begin();
  for (auto o = outer.begin(); o != outer.end(); ++o, ++i)
    if (i == inner.end() || *i != *o) return false;
  return true;
}

bool isTemporary(const std::string& name) {
  return name.rfind(kStagingPrefix, 0) == 0 || name.find(".tmp-") != std::string::npos;
}

void fsyncPath(const fs::path& path, bool directory) {
  const int fd = ::open(path.c_str(), (directory ? O_RDONLY | O_DIRECTORY : O_RDONLY) | O_CLOEXEC);
  if (fd < 0) throw Error(path.string() + ": cannot open to flush (" + errnoText() + ")");
  const int rc = ::fsync(fd);
  const std::string why = rc != 0 ? errnoText() : "";
  ::close(fd);
  check(rc == 0, path.string() + ": flush to disk failed (" + why + ")");
}

// Test hook for the crash-consistency tests: GT_TEST_KILL_AT=NAME:before|after:K sends SIGKILL to
// this process at the K-th publication of NAME (run.json, checkpoint, model, ...), just before or
// just after its rename. Unset (always, outside tests), it does nothing.
void killPoint(const std::string& name, const char* when) {
  static const char* spec = std::getenv("GT_TEST_KILL_AT");
  if (spec == nullptr) return;
  static std::map<std::string, int> seen;
  const std::string key = name + ":" + when;
  const int count = ++seen[key];
  if (std::string(spec) == key + ":" + std::to_string(count)) ::kill(::getpid(), SIGKILL);
}

std::string megabytes(uint64_t bytes) { return std::to_string((bytes + (1u << 20) - 1) >> 20) + " MB"; }

}  // namespace

const std::vector<std::string>& RunFolder::runEntries() {
  static const std::vector<std::string> names{"run.json", "steps.csv", "model", "adapter", "prefix", "predictions.jsonl", "checkpoint", kLockName};
  return names;
}

uint64_t bytesUnder(const fs::path& path) {
  uint64_t total = 0;
  forEachFileUnder(path, [&](const fs::path&, uint64_t bytes) { total += bytes; });  // an unreadable folder counts 0
  return total;
}

RunFolder::RunFolder(fs::path dir, RunFolderMode mode, const std::vector<fs::path>& inputs, uint64_t needBytes) {
  check(!dir.empty(), "out_dir: a run folder is required (--out)");
  std::error_code ec;
  dir_ = fs::weakly_canonical(fs::absolute(dir), ec);
  if (ec) dir_ = fs::absolute(dir);
  const std::string where = dir.string();
  for (const auto& input : inputs) {
    if (input.empty()) continue;
    const fs::path in = fs::weakly_canonical(fs::absolute(input), ec);
    if (ec) continue;
    const fs::path inFolder = fs::is_regular_file(in) ? in.parent_path() : in;
    check(!isWithin(inFolder, dir_) && !isWithin(dir_, inFolder),
          where + ": the run folder must not be, contain or lie inside an input folder (" + input.string() +
              "); a run would overwrite or mix with it. Choose another output folder");
  }
  if (fs::exists(dir_, ec)) {
    check(fs::is_directory(dir_, ec), where + ": exists and is not a folder; expected a folder for the run");
  } else {
    check(mode != RunFolderMode::Resume, where + ": no such run folder to resume");
    fs::create_directories(dir_, ec);
    check(!ec, where + ": cannot create the run folder (" + ec.message() + ")");
    created_ = true;
  }

  // The holder removes .lock before it lets go (release()), so a lock taken on a file that is no
  // longer at that path came from a run that just finished: open the path again.
  const fs::path lockPath = dir_ / kLockName;
  for (int attempt = 0;; ++attempt) {
    lockFd_ = ::open(lockPath.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0644);
    if (lockFd_ < 0) {
      const std::string why = errnoText();
      if (created_) fs::remove(dir_, ec);
      throw Error(where + ": cannot write in the run folder (" + why + ")");
    }
    if (::flock(lockFd_, LOCK_EX | LOCK_NB) != 0) {
      char buf[32] = {};
      const ssize_t n = ::pread(lockFd_, buf, sizeof buf - 1, 0);
      ::close(lockFd_);
      lockFd_ = -1;
      const std::string pid = n > 0 ? std::string(buf, size_t(n)) : "unknown";
      throw Error(where + ": in use by another run (PID " + pid.substr(0, pid.find('\n')) +
                  "); wait for it to finish or choose another output folder");
    }
    struct stat held {}, atPath {};
    if (::fstat(lockFd_, &held) == 0 && ::stat(lockPath.c_str(), &atPath) == 0 && held.st_ino == atPath.st_ino &&
        held.st_dev == atPath.st_dev)
      break;
    ::close(lockFd_);
    lockFd_ = -1;
    check(attempt < 100, where + ": cannot take the run folder's lock (" + lockPath.string() + " keeps changing)");
  }
  try {
    const std::string pid = std::to_string(::getpid()) + "\n";
    check(::ftruncate(lockFd_, 0) == 0 && ::pwrite(lockFd_, pid.data(), pid.size(), 0) == ssize_t(pid.size()),
          where + ": cannot write in the run folder (" + errnoText() + ")");

    // What a killed run left half-written is never part of a consistent state: remove it.
    std::vector<std::string> others, foreign;
    for (const auto& e : fs::directory_iterator(dir_)) {
      const std::string name = e.path().filename().string();
      if (isTemporary(name)) {
        removeTree(e.path());  // best effort: what stays is removed by the next run that opens the folder
        continue;
      }
      if (name == kLockName) continue;
      others.push_back(name);
      if (std::find(runEntries().begin(), runEntries().end(), name) == runEntries().end()) foreign.push_back(name);
    }
    std::sort(others.begin(), others.end());
    std::sort(foreign.begin(), foreign.end());
    auto list = [](const std::vector<std::string>& v) {
      std::string s;
      for (size_t i = 0; i < v.size() && i < 5; ++i) s += (i ? ", " : "") + v[i];
      return v.size() > 5 ? s + ", ..." : s;
    };
    if (mode == RunFolderMode::New)
      check(others.empty(), where + ": the run folder is not empty (" + list(others) +
                                "); choose another output folder, overwrite the run in it (--overwrite) or resume it (--resume)");
    uint64_t reclaimed = 0;  // what replacing the previous run frees
    if (mode == RunFolderMode::Overwrite) {
      check(foreign.empty(), where + ": holds files that are not a run's (" + list(foreign) + "); refusing to overwrite it");
      previousRun_ = others;  // removed at the first publication: a run refused before then leaves it as it was
      for (const auto& name : others) reclaimed += bytesUnder(dir_ / name);
    }

    const auto space = fs::space(dir_, ec);
    if (!ec && needBytes > 0)
      check(space.available + reclaimed >= needBytes, where + ": " + megabytes(space.available + reclaimed) + " free, the run needs about " +
                                                          megabytes(needBytes) + " (model, checkpoint and record)");
  } catch (...) {
    release();
    throw;
  }
}

RunFolder::~RunFolder() { release(); }

void RunFolder::release() {
  if (lockFd_ < 0) return;
  std::error_code ec;
  fs::remove(dir_ / kLockName, ec);  // while still holding it: a run waiting to open it sees it gone
  ::close(lockFd_);  // releases the flock
  lockFd_ = -1;
  if (created_ && !published_) fs::remove(dir_, ec);  // only when empty
}

void RunFolder::clearPreviousRun() {
  if (previousRun_.empty()) return;
  const auto names = std::move(previousRun_);
  previousRun_.clear();
  remove("run.json");  // first: from here on the folder holds no record, so nothing old passes for new
  for (const auto& name : names) remove(name);
}

void RunFolder::publishFile(const std::string& name, const std::string& bytes) {
  clearPreviousRun();
  const fs::path target = dir_ / name;
  const fs::path tmp = dir_ / (name + ".tmp-" + randomSuffix());
  const int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  check(fd >= 0, target.string() + ": cannot open for writing (" + errnoText() + ")");
  size_t done = 0;
  int err = 0;
  while (done < bytes.size()) {
    const ssize_t n = ::write(fd, bytes.data() + done, bytes.size() - done);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) {
      err = n < 0 ? errno : ENOSPC;
      break;
    }
    done += size_t(n);
  }
  if (err == 0 && ::fsync(fd) != 0) err = errno;
  ::close(fd);
  if (err == 0) killPoint(name, "before");
  if (err == 0 && std::rename(tmp.c_str(), target.c_str()) != 0) err = errno;
  if (err == 0) killPoint(name, "after");
  if (err != 0) {
    std::error_code ec;
    fs::remove(tmp, ec);
    throw Error(target.string() + ": write failed (" + std::strerror(err) + ")");
  }
  published_ = true;
  fsyncPath(dir_, true);
}

void RunFolder::publishFolder(const std::string& name, const std::function<void(const fs::path&)>& write) {
  clearPreviousRun();
  const fs::path target = dir_ / name;
  const fs::path staging = dir_ / (kStagingPrefix + randomSuffix() + "-" + name);
  try {
    fs::create_directory(staging);
    write(staging);
    const std::string unread = forEachFileUnder(staging, [](const fs::path& file, uint64_t) { fsyncPath(file, false); });
    check(unread.empty(), target.string() + ": write failed (cannot read " + unread + " to flush it)");
    fsyncPath(staging, true);
    killPoint(name, "before");
    if (fs::exists(target)) {
      // One atomic swap; the old folder then sits under the staging name and is removed.
      if (::renameat2(AT_FDCWD, staging.c_str(), AT_FDCWD, target.c_str(), RENAME_EXCHANGE) != 0) {
        const fs::path old = dir_ / (kStagingPrefix + randomSuffix() + "-old-" + name);
        fs::rename(target, old);
        fs::rename(staging, target);
        removeTree(old);
      }
    } else {
      fs::rename(staging, target);
    }
  } catch (const fs::filesystem_error& e) {
    removeTree(staging);
    throw Error(target.string() + ": write failed (" + e.code().message() + ")");
  } catch (...) {
    removeTree(staging);
    throw;
  }
  killPoint(name, "after");
  removeTree(staging);  // after the swap it holds the replaced folder
  published_ = true;
  fsyncPath(dir_, true);
}

void RunFolder::remove(const std::string& name) {
  const std::string failure = removeTree(dir_ / name);
  check(failure.empty(), (dir_ / name).string() + ": cannot remove (" + failure + ")");
}

}  // namespace gt
