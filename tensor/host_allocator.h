// host_allocator.h — host memory for tensor storage, with a cache of freed large blocks.
//
// Training allocates the same large tensors every step (logits, attention patterns and their
// gradients). Fresh pages from the OS must be faulted in and zeroed by the kernel, which cost
// ~10% of a training step; reusing freed blocks of the same size avoids it. Blocks below
// MIN_CACHED_BYTES go straight to malloc. The cache holds at most MAX_CACHED_BYTES and is
// thread-safe. All blocks are 64-byte aligned (one cache line, one AVX-512 vector).
#pragma once

#include <cstddef>

namespace induction {

void* host_allocate(size_t bytes);
void host_release(void* pointer, size_t bytes);
size_t host_cached_bytes();  // currently held in the cache (for tests)

}  // namespace induction
