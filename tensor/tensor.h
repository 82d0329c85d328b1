// tensor.h — the Tensor: dtype, shape, device and reference-counted storage.
//
// A Tensor is always contiguous and row-major (innermost dimension last). The only views
// are the free ones: reshape() and slice() along the leading dimension; they share storage
// with their source. Everything else (permute, slicing an inner axis, ...) is an op in
// tensor/ops.h that writes a new tensor. Copying a Tensor copies the handle, not the data:
// use clone() for a deep copy.
#pragma once

#include <cstdint>
#include <memory>
#include <vector>

#include "tensor/dtype.h"
#include "tensor/error.h"
#include "tensor/scope_guard.h"
#include "tensor/shape.h"

namespace induction {

// A block of memory on one device. Freed when the last Tensor referring to it goes away.
struct Storage {
    void* data = nullptr;
    size_t bytes = 0;
    Device device = Device::CPU;
    // Not readable by host code outside a kernel: CUDA memory, or host memory allocated while a
    // PretendDeviceMemory was alive (how tests prove a code path never reads device data).
    bool device_resident = false;

    Storage(size_t bytes, Device device);
    ~Storage();
    Storage(const Storage&) = delete;
    Storage& operator=(const Storage&) = delete;
};

class Tensor {
public:
    Tensor() = default;  // an undefined tensor: defined() == false

    // Factories. empty() leaves the memory uninitialised.
    static Tensor empty(const Shape& shape, DType dtype = DType::F32, Device device = Device::CPU);
    static Tensor zeros(const Shape& shape, DType dtype = DType::F32, Device device = Device::CPU);
    static Tensor full(const Shape& shape, double value, DType dtype = DType::F32,
                       Device device = Device::CPU);
    // From host values; the vector's length must equal shape.numel().
    static Tensor from_vector(const Shape& shape, const std::vector<double>& values,
                              DType dtype = DType::F32);
    static Tensor from_ints(const Shape& shape, const std::vector<int32_t>& values);
    static Tensor scalar(double value, DType dtype = DType::F32) { return full({}, value, dtype); }

    bool defined() const { return storage_ != nullptr; }
    const Shape& shape() const { return shape_; }
    int ndim() const { return shape_.ndim; }
    int64_t size(int axis) const { return shape_[shape_.axis(axis, "size")]; }
    int64_t numel() const { return shape_.numel(); }
    DType dtype() const { return dtype_; }
    Device device() const { return device_; }
    size_t nbytes() const { return static_cast<size_t>(numel()) * dtype_size(dtype_); }

    // Typed pointer to the first element, for kernels and host code on host tensors. Throws if T
    // does not match dtype(); outside a kernel, refuses CUDA memory and counts a read of
    // pretend-device memory (see host-access accounting below).
    template <class T> T* data() {
        check_type(DTypeOf<T>::value);
        check_host_access("data()");
        return static_cast<T*>(raw_data());
    }
    template <class T> const T* data() const {
        check_type(DTypeOf<T>::value);
        check_host_access("data()");
        return static_cast<const T*>(raw_data());
    }
    // The untyped address, on whatever device: for device copies and byte-level kernels.
    void* raw_data() const;

    // Free views sharing storage.
    Tensor reshape(const Shape& shape) const;  // numel must match
    Tensor slice(int64_t begin, int64_t end) const;  // rows [begin, end) of the leading dim
    Tensor operator[](int64_t index) const;  // one row of the leading dim, that dim dropped

    // Deep copies.
    Tensor clone() const;
    Tensor to(DType dtype) const;  // converts element type (on the CPU)
    Tensor to(Device device) const;  // moves between devices (copies)
    void copy_from(const Tensor& source);  // same shape and dtype; any devices
    void fill(double value);

    // Host-side reads, for tests and small results: explicit copies to the host, counted as host
    // reads when the tensor is device-resident. item() requires numel() == 1.
    double item() const;
    double at(std::initializer_list<int64_t> index) const;
    std::vector<double> to_vector() const;
    std::vector<int32_t> to_ints() const;

    // True when both share the same storage (and so one is a view of the other).
    bool shares_storage_with(const Tensor& other) const { return storage_ == other.storage_; }

    bool device_resident() const { return storage_ && storage_->device_resident; }

private:
    void check_type(DType wanted) const;
    // data<T>() outside a kernel: refused for CUDA memory, counted for pretend-device memory.
    void check_host_access(const char* what) const {
        if (device_resident()) note_host_access(what, false);
    }
    // An explicit copy to the host (item(), to_vector(), ...): counted, never refused.
    void count_host_read(const char* what) const {
        if (device_resident()) note_host_access(what, true);
    }
    void note_host_access(const char* what, bool explicit_copy) const;

    std::shared_ptr<Storage> storage_;
    size_t offset_bytes_ = 0;
    Shape shape_;
    DType dtype_ = DType::F32;
    Device device_ = Device::CPU;
};

// "f32[2, 3]" — used in error messages. The text is made only when printed, so a check() that
// passes, the common case on every op call, formats nothing.
struct TensorDescription {
    bool defined;  // an undefined tensor reads "an undefined tensor"
    DType dtype;
    Shape shape;
    Device device;
    std::string str() const;
    operator std::string() const { return str(); }
};
TensorDescription describe(const Tensor& t);
std::ostream& operator<<(std::ostream& out, const TensorDescription& d);

// ---- host access to device memory -------------------------------------------------------------
// dispatch() runs every kernel inside a KernelAccess. Outside one, reading device-resident memory
// on the host (data<T>(), item(), to_vector(), ...) is an error for CUDA memory and is counted for
// pretend-device memory, so a test can run a training step under PretendDeviceMemory and assert
// that the count stays zero: the step would then never stall a GPU on a hidden copy.
class KernelAccess : ScopeGuard {
public:
    KernelAccess();
    ~KernelAccess();
};

// While alive, host memory allocated for tensors (on any thread) counts as device memory.
class PretendDeviceMemory : ScopeGuard {
public:
    PretendDeviceMemory();
    ~PretendDeviceMemory();
};

struct HostReads {
    int64_t count = 0;   // host reads of pretend-device memory so far in this process
    std::string last;    // what the latest one was: "to_vector() of f32[]"
};
HostReads host_reads_of_device_memory();

// Device memory hooks. The CUDA backend registers these at start-up; without it, asking
// for a CUDA tensor throws a clear error instead of crashing.
struct DeviceAllocator {
    void* (*allocate)(size_t bytes) = nullptr;
    void (*release)(void* pointer) = nullptr;
    // Copies bytes between any two devices (host pointers for Device::CPU).
    void (*copy)(void* destination, Device destination_device, const void* source,
                 Device source_device, size_t bytes) = nullptr;
};
void register_cuda_allocator(const DeviceAllocator& allocator);
bool cuda_available();

}  // namespace induction
