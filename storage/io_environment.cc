#include "storage/io_environment.h"

#include <atomic>

#include "storage/pread_engine.h"
#include "storage/uring_engine.h"

namespace shardkit::storage {
namespace {

class DefaultEnvironment final : public IoEnvironment {
 public:
  FileSystem* file_system() override { return PosixFileSystem(); }
  Result<std::unique_ptr<IoEngine>> NewEngine(IoBackendKind kind,
                                              const IoEngineOptions& options) override {
    if (kind == IoBackendKind::kUring) return NewUringEngine(options);
    return NewPreadEngine(options);
  }
};

#ifdef SHARDKIT_FAULT_HOOKS
std::atomic<CompletionHook> g_completion_hook{nullptr};
#endif

}  // namespace

IoEnvironment* DefaultIoEnvironment() {
  static DefaultEnvironment* env = new DefaultEnvironment();
  return env;
}

Result<std::unique_ptr<IoEngine>> NewEngineFor(const IoOptions& options,
                                               const IoEngineOptions& engine_options) {
  IoBackendKind kind = ResolveIoBackend(options.backend);
  return EnvironmentOf(options)->NewEngine(kind, engine_options);
}

#ifdef SHARDKIT_FAULT_HOOKS
void SetCompletionHookForTest(CompletionHook hook) { g_completion_hook.store(hook); }
int32_t RunCompletionHook(const IoRequest& request, int32_t result) {
  CompletionHook hook = g_completion_hook.load(std::memory_order_relaxed);
  return hook == nullptr ? result : hook(request, result);
}
#endif

}  // namespace shardkit::storage
