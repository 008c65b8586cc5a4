// PreadEngine: IoEngine on plain pread(2)/pwrite(2), for hosts where
// io_uring is unavailable. Submit performs the I/O synchronously (one
// system call, which may be short exactly like an io_uring completion) and
// queues the completion; Reap hands completions back in submission order.
// Readers and writers therefore run the same code on both backends.
// Threading and errors: see io_engine.h.
#pragma once

#include <memory>

#include "storage/io_engine.h"

namespace shardkit::storage {

std::unique_ptr<IoEngine> NewPreadEngine(const IoEngineOptions& options);

}  // namespace shardkit::storage
