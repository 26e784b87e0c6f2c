#include "app/cli/crash_report.h"

#include <dlfcn.h>
#include <execinfo.h>
#include <sys/syscall.h>
#include <ucontext.h>
#include <unistd.h>

#include <csignal>
#include <cstdint>
#include <cstring>

namespace gt::cli {
namespace {

const char* volatile g_phase = "starting";
const int kFatalSignals[] = {SIGSEGV, SIGBUS, SIGILL, SIGFPE, SIGABRT};

void say(const char* s) {
  if (write(STDERR_FILENO, s, std::strlen(s)) < 0) return;
}

// A number in base 10 or 16 ("0x..."), without malloc or stdio.
void sayNumber(uintptr_t n, int base) {
  char buf[24];
  char* first = buf + sizeof buf;
  *--first = '\0';
  do *--first = "0123456789abcdef"[n % base];
  while ((n /= base) > 0);
  if (base == 16) say("0x");
  say(first);
}

// The instruction that faulted, from the signal's saved registers (0 where the platform is not known).
uintptr_t faultingInstruction(const void* context) {
  const auto* uc = static_cast<const ucontext_t*>(context);
#if defined(__x86_64__)
  return uintptr_t(uc->uc_mcontext.gregs[REG_RIP]);
#elif defined(__aarch64__)
  return uintptr_t(uc->uc_mcontext.pc);
#else
  (void)uc;
  return 0;
#endif
}

// Where the signal came from. A crash inside a library without unwind tables (a GPU driver, say)
// ends the backtrace at the signal frame, so the faulting instruction's library and offset are
// printed first. Besides write(2): dladdr (not on POSIX's async-signal-safe list, but it takes no
// lock that a fault in our code could hold), backtrace_symbols_fd (writes, no malloc once libgcc is
// loaded — installCrashReport() loads it), signal(2), raise(3).
void onFatalSignal(int sig, siginfo_t* info, void* context) {
  say("\ngreentrainer: fatal signal ");
  sayNumber(uintptr_t(sig), 10);
  say(" (");
  say(sigabbrev_np(sig) ? sigabbrev_np(sig) : "?");
  say(") while ");
  say(g_phase);
  say("\n");
  if (info && info->si_code <= 0) {  // kill(2), raise(3), abort(3): not a fault of an instruction
    say("sent by process ");
    sayNumber(uintptr_t(info->si_pid), 10);
  } else {
    if (info && (sig == SIGSEGV || sig == SIGBUS)) {
      say("address ");
      sayNumber(uintptr_t(info->si_addr), 16);
      say(", ");
    }
    const uintptr_t ip = faultingInstruction(context);
    say("instruction ");
    sayNumber(ip, 16);
    Dl_info where{};
    if (ip != 0 && dladdr(reinterpret_cast<void*>(ip), &where) != 0 && where.dli_fname) {
      say(" in ");
      say(where.dli_fname);
      say("+");
      sayNumber(ip - uintptr_t(where.dli_fbase), 16);
    } else {
      say(" (in no loaded library)");
    }
  }
  const long thread = syscall(SYS_gettid);
  if (thread == getpid()) {
    say(", on the main thread\n");
  } else {
    say(", on thread ");
    sayNumber(uintptr_t(thread), 10);
    say(" (not the main thread)\n");
  }
  say("backtrace:\n");
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
  struct sigaction action {};
  action.sa_sigaction = onFatalSignal;
  action.sa_flags = SA_SIGINFO;
  sigemptyset(&action.sa_mask);
  for (int sig : kFatalSignals) sigaction(sig, &action, nullptr);
}

}  // namespace gt::cli
