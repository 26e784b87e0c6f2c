// A fatal signal (SIGSEGV, SIGBUS, SIGILL, SIGFPE, SIGABRT) prints what the process was doing and a
// backtrace to stderr, then ends the process with the signal's default action (exit status 128 + N,
// core dump where enabled), so a crash in a long run — or at process exit, after the run folder is
// complete — leaves something to act on.
#pragma once

namespace gt::cli {

void installCrashReport();
// What the process is doing, for the report: a string literal (kept, never copied).
void setCrashPhase(const char* phase);

}  // namespace gt::cli
