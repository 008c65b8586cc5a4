// LZF, as liblzf and Redis use it for compressed RDB strings (format facts in
// formats-reference.md §2.3). Ours rather than a library's: Debian ships no
// liblzf with the exact bounds checks we need on untrusted input, and the
// decoder is on the hot path of deep verification.
// Thread-safe (pure functions).
#pragma once

#include <cstddef>

#include "base/chunk_io.h"
#include "base/status.h"

namespace shardkit::formats {

// Decompresses `in` into exactly out.size() bytes. Returns kCorruption (the
// message names the input position and the rule broken, no file context: the
// caller adds it) when a back-reference points before the output start, a
// copy would overrun `out` or `in`, or the output length differs.
Status LzfDecompress(ByteSpan in, MutableByteSpan out);

// Compresses `in` into `out`. Returns the compressed size, or 0 when the
// result would not fit in out.size() bytes (Redis stores the string raw then).
size_t LzfCompress(ByteSpan in, MutableByteSpan out);

}  // namespace shardkit::formats
