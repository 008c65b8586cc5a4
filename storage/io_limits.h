// Bounds shared by the storage backends (sequential reader and writer, append
// writer): how often a short or interrupted I/O is retried before it becomes
// an error, and the largest block and queue depth an Options may ask for.
#pragma once

#include <cstddef>

namespace shardkit::storage {

// Resubmissions of one block after EAGAIN/EINTR or a short I/O that made no
// progress; past this the I/O is reported as failed.
inline constexpr int kIoRetriesMax = 64;
inline constexpr size_t kIoBlockBytesMax = size_t{64} << 20;
inline constexpr int kIoQueueDepthMax = 256;

}  // namespace shardkit::storage
