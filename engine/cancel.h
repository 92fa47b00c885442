// Process-wide cancellation (Ctrl-C, SIGTERM).
#pragma once

namespace dbsnap {

// Set from a signal handler; async-signal-safe.
void request_cancel() noexcept;
bool cancel_requested() noexcept;

// Throws dbsnap::Error(ExitCode::interrupted) if cancellation was requested.
// Long loops (row streaming, uploads) call it between chunks.
void throw_if_cancelled();

}  // namespace dbsnap
