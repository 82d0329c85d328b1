// host_allocator.cpp — a size-keyed free list in front of aligned_alloc.
#include "tensor/host_allocator.h"

#include <cstdlib>
#include <map>
#include <mutex>
#include <vector>

#include "tensor/error.h"

namespace induction {

namespace {

constexpr size_t ALIGNMENT = 64;
constexpr size_t MIN_CACHED_BYTES = size_t(1) << 16;
constexpr size_t MAX_CACHED_BYTES = size_t(2) << 30;

struct Cache {
    std::mutex mutex;
    std::map<size_t, std::vector<void*>> free_blocks;  // rounded size → blocks
    size_t cached_bytes = 0;
};

Cache& cache() {
    static Cache* instance = new Cache;  // never destroyed: tensors may outlive static destructors
    return *instance;
}

size_t rounded(size_t bytes) {
    size_t unit = bytes >= MIN_CACHED_BYTES ? 4096 : ALIGNMENT;
    return std::max(unit, (bytes + unit - 1) / unit * unit);
}

}  // namespace

void* host_allocate(size_t bytes) {
    size_t size = rounded(bytes);
    if (size >= MIN_CACHED_BYTES) {
        Cache& c = cache();
        std::lock_guard<std::mutex> lock(c.mutex);
        auto it = c.free_blocks.find(size);
        if (it != c.free_blocks.end() && !it->second.empty()) {
            void* block = it->second.back();
            it->second.pop_back();
            c.cached_bytes -= size;
            return block;
        }
    }
    void* block = std::aligned_alloc(ALIGNMENT, size);
    check(block != nullptr, "tensor: out of host memory allocating ", bytes, " bytes");
    return block;
}

void host_release(void* pointer, size_t bytes) {
    size_t size = rounded(bytes);
    if (size >= MIN_CACHED_BYTES) {
        Cache& c = cache();
        std::lock_guard<std::mutex> lock(c.mutex);
        if (c.cached_bytes + size <= MAX_CACHED_BYTES) {
            c.free_blocks[size].push_back(pointer);
            c.cached_bytes += size;
            return;
        }
    }
    std::free(pointer);
}

size_t host_cached_bytes() {
    Cache& c = cache();
    std::lock_guard<std::mutex> lock(c.mutex);
    return c.cached_bytes;
}

}  // namespace induction
