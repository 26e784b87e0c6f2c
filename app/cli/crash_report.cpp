#include "app/cli/crash_report.h"

#include <execinfo.h>
#include <unistd.h>

#include <csignal>
#include <cstring>

namespace gt::cli {
namespace {

const char* volatile g_phase = "starting";
const int kFatalSignals[] = {SIGSEGV, SIGBUS, SIGILL, SIGFPE, SIGABRT};

void say(const char* s) {
  if (write(STDERR_FILENO, s, std::strlen(s)) < 0) return;
}

// Only async-signal-safe calls: write(2), backtrace_symbols_fd (writes, no malloc once libgcc is
// loaded — installCrashReport() loads it), signal(2), raise(3).
void onFatalSignal(int sig) {
  char number[12];  // the signal's number, written from its last digit backwards
  char* first = number + sizeof number;
  *--first = '\0';
  for (int n = sig; first == number + sizeof number - 1 || n > 0; n /= 10) *--first = char('0' + n % 10);
  say("\ngreentrainer: fatal signal ");
  say(first);
  say(" (");
  say(sigabbrev_np(sig) ? sigabbrev_np(sig) : "?");
  say(") while ");
  say(g_phase);
  say("\nbacktrace:\n");
  void* frames[64];
  backtrace_symbols_fd(frames, backtrace(frames, 64), STDERR_FILENO);
  std::signal(sig, SIG_DFL);
  std::raise(sig);
}

}  // namespace

void setCrashPhase(const char* phase) { g_phase = phase; }

void installCrashReport() {
  void* warm[1];
  backtrace(warm, 1);  // loads libgcc's unwinder now, not inside the handler
  for (int sig : kFatalSignals) std::signal(sig, onFatalSignal);
}

}  // namespace gt::cli
