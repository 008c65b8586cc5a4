// UringEngine: IoEngine on one io_uring ring (liburing).
//
// The ring is created on first use, on the thread that uses it, with
// SINGLE_ISSUER|DEFER_TASKRUN when the probe found them and the options ask
// for a single issuer. Buffers registered with RegisterBuffers() are used
// through read_fixed/write_fixed. Reap waits for one completion
// (io_uring_submit_and_wait) and then drains every ready CQE with one
// io_uring_cq_advance.
// Threading and errors: see io_engine.h. Destroying the engine with
// requests in flight first waits for them (buffers may still be written).
#pragma once

#include <memory>

#include "storage/io_engine.h"

namespace shardkit::storage {

// Errors: kNotSupported naming the cause when io_uring cannot be used here.
Result<std::unique_ptr<IoEngine>> NewUringEngine(const IoEngineOptions& options);

}  // namespace shardkit::storage
