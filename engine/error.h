// Errors that end an operation, each with a stable exit code.
//
// The table below is the single source of the CLI's exit codes (README
// "Exit codes" repeats it). Messages are one line, lowercase, no final period,
// name the thing that failed and, where there is one, the fix. They never
// contain a password: use ServerUrl::masked() when naming a server.
#pragma once

#include <stdexcept>
#include <string>

namespace dbsnap {

enum class ExitCode : int {
  ok = 0,
  failure = 1,              // generic failure not classified below
  usage = 2,                // bad command line or config
  unsupported = 3,          // the server kind cannot do what was asked (backup --globals of MySQL)
  connection_refused = 10,  // nothing listens at host:port
  unknown_host = 11,        // name does not resolve
  timeout = 12,             // connect or lock wait timed out
  access_denied = 13,       // authentication failed or missing privilege
  tls_required = 14,        // server requires TLS / TLS handshake failed
  database_missing = 15,    // the named database does not exist
  server_error = 20,        // the server rejected a statement during the operation
  connection_lost = 21,     // the server closed the connection during the operation
  io_error = 30,            // local or remote storage failed
  verify_failed = 40,       // checksum or row-count mismatch
  databases_failed = 50,    // dbsnap run: some databases of the job failed (named)
  job_locked = 51,          // dbsnap run: another run of the job holds its lock
  interrupted = 130,        // SIGINT/SIGTERM
};

// The exception every layer throws for an error that ends the operation.
// Thread-safe to copy; carries the exit code the CLI returns.
class Error : public std::runtime_error {
 public:
  Error(ExitCode code, const std::string& message) : std::runtime_error(message), code_(code) {}
  ExitCode code() const noexcept { return code_; }

 private:
  ExitCode code_;
};

}  // namespace dbsnap
