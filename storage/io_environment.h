// IoEnvironment: where readers and writers get their file system and I/O
// engines. DefaultIoEnvironment() is the real one; the fault injector
// (tests/support/storage/fault_injection.h) wraps it, and tests pass it in
// IoOptions::environment so the public entry points run over it unchanged.
//
// Threading: implementations are thread-safe. NewEngine returns an engine
// owned by the caller and used by one thread at a time.
#pragma once

#include <memory>

#include "base/status.h"
#include "storage/file_system.h"
#include "storage/io_engine.h"
#include "storage/io_options.h"

namespace shardkit::storage {

class IoEnvironment {
 public:
  virtual ~IoEnvironment() = default;
  virtual FileSystem* file_system() = 0;
  // REQUIRES: kind is kUring or kPread (already resolved).
  // Errors: kNotSupported when io_uring was forced but cannot be set up.
  virtual Result<std::unique_ptr<IoEngine>> NewEngine(IoBackendKind kind,
                                                      const IoEngineOptions& options) = 0;
};

// The real environment: PosixFileSystem() and the io_uring / pread engines.
// Never null; lives forever.
IoEnvironment* DefaultIoEnvironment();

// options.environment or the default.
inline IoEnvironment* EnvironmentOf(const IoOptions& options) {
  return options.environment != nullptr ? options.environment : DefaultIoEnvironment();
}

// Resolves options.backend and creates an engine of that kind.
Result<std::unique_ptr<IoEngine>> NewEngineFor(const IoOptions& options,
                                               const IoEngineOptions& engine_options);

}  // namespace shardkit::storage
