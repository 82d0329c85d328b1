// scope_guard.h — the base of every scope guard (ScopedBackend, CallRecorder, KernelAccess, ...):
// an object whose constructor and destructor bracket a region of code, and which is never copied.
#pragma once

namespace induction {

struct ScopeGuard {
    ScopeGuard() = default;
    ScopeGuard(const ScopeGuard&) = delete;
    ScopeGuard& operator=(const ScopeGuard&) = delete;
};

}  // namespace induction
