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
  char number[12];
  int n = sig, len = 0;
  char digits[12];
  do digits[len++] = char('0' + n % 10), n /= 10;
  while (n > 0 && len < 11);
  for (int i = 0; i < len; ++i) number[i] = digits[len - 1 - i];
  number[len] = '\0';
  say("\ngreentrainer: fatal signal ");
  say(number);
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
