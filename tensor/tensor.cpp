// tensor.cpp — Tensor storage, views, copies and host-side access.
#include "tensor/tensor.h"

#include <atomic>
#include <cstdlib>
#include <cstring>
#include <mutex>
#include <sstream>

#include "tensor/host_allocator.h"

namespace induction {

namespace {

std::atomic<int> kernels_running{0};
std::atomic<int> pretend_scopes{0};
std::mutex host_reads_mutex;
HostReads host_reads;

DeviceAllocator& cuda_allocator() {
    static DeviceAllocator allocator;
    return allocator;
}

template <class T>
void convert(const void* source, DType source_dtype, T* destination, int64_t n) {
    switch (source_dtype) {
        case DType::F32: {
            auto* s = static_cast<const float*>(source);
            for (int64_t i = 0; i < n; ++i) destination[i] = static_cast<T>(s[i]);
            break;
        }
        case DType::F64: {
            auto* s = static_cast<const double*>(source);
            for (int64_t i = 0; i < n; ++i) destination[i] = static_cast<T>(s[i]);
            break;
        }
        case DType::I32: {
            auto* s = static_cast<const int32_t*>(source);
            for (int64_t i = 0; i < n; ++i) destination[i] = static_cast<T>(s[i]);
            break;
        }
    }
}

}  // namespace

void register_cuda_allocator(const DeviceAllocator& allocator) { cuda_allocator() = allocator; }
bool cuda_available() { return cuda_allocator().allocate != nullptr; }

KernelAccess::KernelAccess() { ++kernels_running; }
KernelAccess::~KernelAccess() { --kernels_running; }
PretendDeviceMemory::PretendDeviceMemory() { ++pretend_scopes; }
PretendDeviceMemory::~PretendDeviceMemory() { --pretend_scopes; }

HostReads host_reads_of_device_memory() {
    std::lock_guard<std::mutex> lock(host_reads_mutex);
    return host_reads;
}

void Tensor::note_host_access(const char* what, bool explicit_copy) const {
    if (kernels_running > 0) return;
    check(explicit_copy || device_ == Device::CPU, what, ": ", describe(*this), " lives in ", device_name(device_),
          " memory, which the host cannot read; copy it with to(Device::CPU) first");
    std::lock_guard<std::mutex> lock(host_reads_mutex);
    host_reads.count += 1;
    host_reads.last = std::string(what) + " of " + describe(*this).str();
}

Storage::Storage(size_t size, Device where)
    : bytes(size), device(where), device_resident(where != Device::CPU || pretend_scopes > 0) {
    if (device == Device::CPU) {
        data = host_allocate(bytes);
    } else {
        check(cuda_available(), "tensor: a CUDA tensor was requested but this build has no CUDA "
                                "device (build with nvcc and run on a machine with a GPU)");
        data = cuda_allocator().allocate(bytes == 0 ? 1 : bytes);
    }
}

Storage::~Storage() {
    if (device == Device::CPU)
        host_release(data, bytes);
    else
        cuda_allocator().release(data);
}

Tensor Tensor::empty(const Shape& shape, DType dtype, Device device) {
    Tensor t;
    t.shape_ = shape;
    t.dtype_ = dtype;
    t.device_ = device;
    t.storage_ = std::make_shared<Storage>(static_cast<size_t>(shape.numel()) * dtype_size(dtype),
                                           device);
    return t;
}

Tensor Tensor::zeros(const Shape& shape, DType dtype, Device device) {
    Tensor t = empty(shape, dtype, Device::CPU);
    std::memset(t.raw_data(), 0, t.nbytes());
    return device == Device::CPU ? t : t.to(device);
}

Tensor Tensor::full(const Shape& shape, double value, DType dtype, Device device) {
    Tensor t = empty(shape, dtype, Device::CPU);
    t.fill(value);
    return device == Device::CPU ? t : t.to(device);
}

Tensor Tensor::from_vector(const Shape& shape, const std::vector<double>& values, DType dtype) {
    check(static_cast<int64_t>(values.size()) == shape.numel(), "from_vector: ", values.size(),
          " values for shape ", shape.str(), " (expected ", shape.numel(), ")");
    Tensor t = empty(shape, dtype);
    switch (dtype) {
        case DType::F32: convert(values.data(), DType::F64, static_cast<float*>(t.raw_data()), t.numel()); break;
        case DType::F64: convert(values.data(), DType::F64, static_cast<double*>(t.raw_data()), t.numel()); break;
        case DType::I32: convert(values.data(), DType::F64, static_cast<int32_t*>(t.raw_data()), t.numel()); break;
    }
    return t;
}

Tensor Tensor::from_ints(const Shape& shape, const std::vector<int32_t>& values) {
    check(static_cast<int64_t>(values.size()) == shape.numel(), "from_ints: ", values.size(),
          " values for shape ", shape.str(), " (expected ", shape.numel(), ")");
    Tensor t = empty(shape, DType::I32);
    std::memcpy(t.raw_data(), values.data(), t.nbytes());
    return t;
}

void* Tensor::raw_data() const {
    check(defined(), "tensor: access to an undefined tensor");
    return static_cast<char*>(storage_->data) + offset_bytes_;
}

void Tensor::check_type(DType wanted) const {
    check(dtype_ == wanted, "tensor: element access as ", dtype_name(wanted), " on a ",
          describe(*this), " tensor");
}

Tensor Tensor::reshape(const Shape& shape) const {
    check(shape.numel() == numel(), "reshape: cannot view ", describe(*this), " as ", shape.str(),
          " (element counts differ)");
    Tensor t = *this;
    t.shape_ = shape;
    return t;
}

Tensor Tensor::slice(int64_t begin, int64_t end) const {
    check(ndim() >= 1, "slice: a scalar has no leading dimension");
    check(0 <= begin && begin <= end && end <= shape_[0], "slice: rows [", begin, ", ", end,
          ") out of range for ", describe(*this));
    Tensor t = *this;
    int64_t row = numel() / std::max<int64_t>(shape_[0], 1);
    t.offset_bytes_ += static_cast<size_t>(begin * row) * dtype_size(dtype_);
    t.shape_[0] = end - begin;
    return t;
}

Tensor Tensor::operator[](int64_t index) const {
    Tensor row = slice(index, index + 1);
    std::vector<int64_t> dims = shape_.to_vector();
    dims.erase(dims.begin());
    return row.reshape(Shape(dims));
}

Tensor Tensor::clone() const {
    Tensor t = empty(shape_, dtype_, device_);
    t.copy_from(*this);
    return t;
}

Tensor Tensor::to(DType dtype) const {
    check(device_ == Device::CPU, "to(dtype): convert on the CPU, got ", describe(*this));
    count_host_read("to(dtype)");
    Tensor t = empty(shape_, dtype);
    switch (dtype) {
        case DType::F32: convert(raw_data(), dtype_, static_cast<float*>(t.raw_data()), numel()); break;
        case DType::F64: convert(raw_data(), dtype_, static_cast<double*>(t.raw_data()), numel()); break;
        case DType::I32: convert(raw_data(), dtype_, static_cast<int32_t*>(t.raw_data()), numel()); break;
    }
    return t;
}

Tensor Tensor::to(Device device) const {
    Tensor t = empty(shape_, dtype_, device);
    t.copy_from(*this);
    return t;
}

void Tensor::copy_from(const Tensor& source) {
    check(source.shape_ == shape_ && source.dtype_ == dtype_, "copy_from: ", describe(source),
          " into ", describe(*this), " (expected the same shape and dtype)");
    if (source.device_resident() && !device_resident() && device_ == Device::CPU)
        source.count_host_read("copy to the host");
    if (device_ == Device::CPU && source.device_ == Device::CPU)
        std::memmove(raw_data(), source.raw_data(), nbytes());
    else
        cuda_allocator().copy(raw_data(), device_, source.raw_data(), source.device_, nbytes());
}

void Tensor::fill(double value) {
    check(device_ == Device::CPU, "fill: host tensors only, got ", describe(*this));
    int64_t n = numel();
    switch (dtype_) {
        case DType::F32: { auto* p = static_cast<float*>(raw_data()); for (int64_t i = 0; i < n; ++i) p[i] = float(value); break; }
        case DType::F64: { auto* p = static_cast<double*>(raw_data()); for (int64_t i = 0; i < n; ++i) p[i] = value; break; }
        case DType::I32: { auto* p = static_cast<int32_t*>(raw_data()); for (int64_t i = 0; i < n; ++i) p[i] = int32_t(value); break; }
    }
}

double Tensor::item() const {
    check(numel() == 1, "item: expected a single element, got ", describe(*this));
    return to_vector()[0];
}

double Tensor::at(std::initializer_list<int64_t> index) const {
    check(static_cast<int>(index.size()) == ndim(), "at: ", index.size(), " indices for ",
          describe(*this));
    int64_t flat = 0, axis = 0;
    for (int64_t i : index) {
        check(0 <= i && i < shape_[axis], "at: index ", i, " out of range on axis ", axis, " of ",
              describe(*this));
        flat = flat * shape_[axis] + i;
        ++axis;
    }
    count_host_read("at()");
    Tensor host = device_ == Device::CPU ? *this : to(Device::CPU);
    const void* p = host.raw_data();
    switch (dtype_) {
        case DType::F32: return static_cast<const float*>(p)[flat];
        case DType::F64: return static_cast<const double*>(p)[flat];
        case DType::I32: return static_cast<const int32_t*>(p)[flat];
    }
    return 0;
}

std::vector<double> Tensor::to_vector() const {
    count_host_read("to_vector()");
    Tensor host = device_ == Device::CPU ? *this : to(Device::CPU);
    std::vector<double> values(static_cast<size_t>(numel()));
    convert(host.raw_data(), dtype_, values.data(), numel());
    return values;
}

std::vector<int32_t> Tensor::to_ints() const {
    check(dtype_ == DType::I32, "to_ints: expected an i32 tensor, got ", describe(*this));
    count_host_read("to_ints()");
    Tensor host = device_ == Device::CPU ? *this : to(Device::CPU);
    const int32_t* p = static_cast<const int32_t*>(host.raw_data());
    return {p, p + numel()};
}

TensorDescription describe(const Tensor& t) {
    return t.defined() ? TensorDescription{true, t.dtype(), t.shape(), t.device()}
                       : TensorDescription{false, DType::F32, Shape(), Device::CPU};
}

std::ostream& operator<<(std::ostream& out, const TensorDescription& d) {
    if (!d.defined) return out << "an undefined tensor";
    out << dtype_name(d.dtype) << d.shape.str();
    if (d.device != Device::CPU) out << '@' << device_name(d.device);
    return out;
}

std::string TensorDescription::str() const {
    std::ostringstream out;
    out << *this;
    return out.str();
}

}  // namespace induction
