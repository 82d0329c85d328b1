// safetensors.cpp — the safetensors writer and its validating reader.
//
// Follows the reference implementation (huggingface/safetensors): the header is compact JSON
// padded with spaces to a multiple of 8 bytes, "__metadata__" comes first, tensors are laid out
// back to back in the order given, and a reader requires the tensors to cover the data buffer
// exactly (no overlaps, no holes) and the header to be at most 100 MB.
#include "model/io/safetensors.h"

#include <algorithm>
#include <bit>
#include <cstring>
#include <limits>
#include <optional>

#include "model/io/file_io.h"
#include "model/io/json.h"

namespace induction {

namespace {

constexpr uint64_t MAX_HEADER_BYTES = 100'000'000;  // the reference reader's limit
constexpr size_t LENGTH_FIELD_BYTES = 8;
constexpr size_t HEADER_ALIGNMENT = 8;
const std::string METADATA_KEY = "__metadata__";

const char* safetensors_dtype_name(DType dtype) {
    switch (dtype) {
        case DType::F32: return "F32";
        case DType::F64: return "F64";
        case DType::I32: return "I32";
    }
    return "?";
}

std::optional<DType> dtype_from_safetensors_name(const std::string& name) {
    for (DType dtype : {DType::F32, DType::F64, DType::I32})
        if (name == safetensors_dtype_name(dtype)) return dtype;
    return std::nullopt;
}

// Throws "safetensors: '<path>': <parts>".
template <class... Parts>
[[noreturn]] void reject(const std::string& path, const Parts&... parts) {
    fail("safetensors: '", path, "': ", parts...);
}

template <class... Parts>
void require(bool condition, const std::string& path, const Parts&... parts) {
    if (!condition) reject(path, parts...);
}

// One tensor entry of the header, checked against the data buffer.
struct Entry {
    std::string name;
    DType dtype;
    Shape shape;
    uint64_t begin, end;  // byte range inside the data buffer
};

// The value of a JSON number when it is an integer in [0, 2^53], else nothing.
std::optional<uint64_t> non_negative_integer(const json::Value& v) {
    if (!v.is_number()) return std::nullopt;
    double x = v.as_number();
    if (!(x >= 0 && x <= 9007199254740992.0) || x != static_cast<double>(static_cast<uint64_t>(x)))
        return std::nullopt;
    return static_cast<uint64_t>(x);
}

Entry parse_entry(const std::string& path, const std::string& name, const json::Value& value,
                  uint64_t data_bytes) {
    auto bad = [&](const auto&... parts) { reject(path, "tensor '", json::printable_line(name), "': ", parts...); };
    if (!value.is_object()) bad("entry must be an object, got ", json::kind_name(value.kind()));
    for (const auto& [field, _] : value.members())
        if (field != "dtype" && field != "shape" && field != "data_offsets")
            bad("unexpected field '", json::printable_line(field), "' (expected dtype, shape, data_offsets)");
    for (const char* field : {"dtype", "shape", "data_offsets"})
        if (!value.contains(field)) bad("missing '", field, "'");

    Entry entry;
    entry.name = name;

    const json::Value& dtype = value.at("dtype");
    if (!dtype.is_string()) bad("'dtype' is ", json::dump(dtype), ", not a string");
    std::optional<DType> known = dtype_from_safetensors_name(dtype.as_string());
    if (!known) bad("unsupported dtype '", json::printable_line(dtype.as_string()), "' (expected F32, F64 or I32)");
    entry.dtype = *known;

    const json::Value& shape = value.at("shape");
    if (!shape.is_array()) bad("'shape' is ", json::dump(shape), ", not an array");
    if (shape.size() > MAX_DIMS)
        bad("shape ", json::dump(shape), " has ", shape.size(), " dimensions, at most ", MAX_DIMS,
            " are supported");
    std::vector<int64_t> dims;
    for (const json::Value& dim : shape.as_array()) {
        std::optional<uint64_t> size = non_negative_integer(dim);
        if (!size) bad("shape ", json::dump(shape), " has a dimension that is not a non-negative integer");
        dims.push_back(static_cast<int64_t>(*size));
    }
    // Shape::numel() multiplies the dimensions in order, so even beside a zero the others must
    // multiply to at most 2^63 - 1 (bytes, hence elements too).
    uint64_t nonzero_bytes = dtype_size(entry.dtype);
    for (int64_t dim : dims)
        if (dim != 0 && (__builtin_mul_overflow(nonzero_bytes, static_cast<uint64_t>(dim), &nonzero_bytes) ||
                         nonzero_bytes > static_cast<uint64_t>(std::numeric_limits<int64_t>::max())))
            bad("shape ", json::dump(shape), " is too large");
    const bool holds_elements = std::find(dims.begin(), dims.end(), 0) == dims.end();
    const uint64_t expected_bytes = holds_elements ? nonzero_bytes : 0;
    entry.shape = Shape(dims);

    const json::Value& offsets = value.at("data_offsets");
    std::optional<uint64_t> begin, end;
    if (offsets.is_array() && offsets.size() == 2) {
        begin = non_negative_integer(offsets[0]);
        end = non_negative_integer(offsets[1]);
    }
    if (!begin || !end)
        bad("'data_offsets' is ", json::dump(offsets), ", expected [begin, end] with non-negative integers");
    if (*begin > *end) bad("data_offsets ", json::dump(offsets), " have begin > end");
    if (*end > data_bytes)
        bad("data_offsets ", json::dump(offsets), " end beyond the ", data_bytes, "-byte data buffer");
    entry.begin = *begin;
    entry.end = *end;
    if (*end - *begin != expected_bytes)
        bad("data_offsets ", json::dump(offsets), " hold ", *end - *begin, " bytes but ",
            dtype_name(entry.dtype), entry.shape.str(), " needs ", expected_bytes);
    return entry;
}

// The reference format requires the tensors to tile the data buffer exactly.
void check_coverage(const std::string& path, const std::vector<Entry>& entries, uint64_t data_bytes) {
    std::vector<const Entry*> by_offset;
    for (const Entry& e : entries) by_offset.push_back(&e);
    std::stable_sort(by_offset.begin(), by_offset.end(), [](const Entry* a, const Entry* b) {
        return a->begin != b->begin ? a->begin < b->begin : a->end < b->end;
    });
    uint64_t covered = 0;  // bytes [0, covered) belong to the tensors seen so far
    const Entry* previous = nullptr;
    for (const Entry* e : by_offset) {
        require(e->begin >= covered, path, "tensor '", json::printable_line(e->name), "' data_offsets [",
                e->begin, ", ", e->end, "] overlap tensor '", json::printable_line(previous ? previous->name : ""),
                "' (which ends at ", covered, ")");
        require(e->begin == covered, path, "data buffer bytes [", covered, ", ", e->begin,
                ") before tensor '", json::printable_line(e->name), "' belong to no tensor");
        covered = e->end;
        previous = e;
    }
    require(covered == data_bytes, path, "data buffer bytes [", covered, ", ", data_bytes,
            ") after the last tensor belong to no tensor");
}

}  // namespace

const Tensor& SafetensorsFile::get(const std::string& name) const {
    for (const auto& [tensor_name, tensor] : tensors)
        if (tensor_name == name) return tensor;
    reject(path, "no tensor named '", name, "'");
}

bool SafetensorsFile::contains(const std::string& name) const {
    return std::any_of(tensors.begin(), tensors.end(), [&](const auto& t) { return t.first == name; });
}

void write_safetensors(const std::string& path,
                       const std::vector<std::pair<std::string, Tensor>>& tensors,
                       const std::vector<std::pair<std::string, std::string>>& metadata) {
    json::Value header = json::Value::object();
    if (!metadata.empty()) {
        json::Value& fields = header[METADATA_KEY] = json::Value::object();
        for (const auto& [key, text] : metadata) {
            require(!fields.contains(key), path, "duplicate metadata key '", key, "'");
            fields[key] = text;
        }
    }
    std::vector<Tensor> host_tensors;
    uint64_t offset = 0;
    for (const auto& [name, tensor] : tensors) {
        require(!name.empty() && name != METADATA_KEY, path, "cannot write a tensor named '", name, "'");
        require(!header.contains(name), path, "duplicate tensor name '", name, "'");
        require(tensor.defined(), path, "tensor '", name, "' is undefined");
        host_tensors.push_back(tensor.device() == Device::CPU ? tensor : tensor.to(Device::CPU));
        json::Value entry = json::Value::object();
        entry["dtype"] = safetensors_dtype_name(tensor.dtype());
        json::Value shape = json::Value::array();
        for (int64_t dim : tensor.shape().to_vector()) shape.push_back(dim);
        entry["shape"] = shape;
        entry["data_offsets"] = json::Value::array({offset, offset + tensor.nbytes()});
        header[name] = entry;
        offset += tensor.nbytes();
    }

    std::string header_text;
    try {
        header_text = json::dump(header);
    } catch (const Error& e) {
        reject(path, "cannot write the header: ", e.what());
    }
    header_text.append((HEADER_ALIGNMENT - header_text.size() % HEADER_ALIGNMENT) % HEADER_ALIGNMENT, ' ');

    std::string bytes;
    bytes.reserve(LENGTH_FIELD_BYTES + header_text.size() + offset);
    for (size_t i = 0; i < LENGTH_FIELD_BYTES; ++i)  // little-endian u64
        bytes += static_cast<char>((static_cast<uint64_t>(header_text.size()) >> (8 * i)) & 0xFF);
    bytes += header_text;
    // The data buffer is the tensors' raw bytes; this host is little-endian like the format.
    static_assert(std::endian::native == std::endian::little, "safetensors I/O assumes a little-endian host");
    for (const Tensor& t : host_tensors) bytes.append(static_cast<const char*>(t.raw_data()), t.nbytes());
    write_file_atomic(path, bytes);
}

SafetensorsFile read_safetensors(const std::string& path) {
    const std::string bytes = read_file_bytes(path);
    require(bytes.size() >= LENGTH_FIELD_BYTES, path, "file is ", bytes.size(),
            " bytes, shorter than the 8-byte header length");
    uint64_t header_bytes = 0;
    for (size_t i = 0; i < LENGTH_FIELD_BYTES; ++i)
        header_bytes |= static_cast<uint64_t>(static_cast<unsigned char>(bytes[i])) << (8 * i);
    require(header_bytes <= MAX_HEADER_BYTES, path, "header length ", header_bytes,
            " exceeds the limit of ", MAX_HEADER_BYTES, " bytes");
    require(header_bytes <= bytes.size() - LENGTH_FIELD_BYTES, path, "header length ", header_bytes,
            " is larger than the ", bytes.size() - LENGTH_FIELD_BYTES, " bytes after the length field");
    const uint64_t data_start = LENGTH_FIELD_BYTES + header_bytes;
    const uint64_t data_bytes = bytes.size() - data_start;

    json::Value header;
    try {
        header = json::parse(std::string_view(bytes).substr(LENGTH_FIELD_BYTES, header_bytes));
    } catch (const Error& e) {
        reject(path, "header is not valid JSON: ", e.what());
    }
    require(header.is_object(), path, "header must be a JSON object, got ",
            json::kind_name(header.kind()));

    SafetensorsFile file;
    file.path = path;
    std::vector<Entry> entries;
    for (const auto& [name, value] : header.members()) {
        if (name != METADATA_KEY) {
            entries.push_back(parse_entry(path, name, value, data_bytes));
            continue;
        }
        require(value.is_object(), path, "__metadata__ must be an object, got ",
                json::kind_name(value.kind()));
        for (const auto& [key, text] : value.members()) {
            require(text.is_string(), path, "__metadata__ value of '", json::printable_line(key), "' is ",
                    json::dump(text), ", not a string");
            file.metadata.emplace_back(key, text.as_string());
        }
    }
    check_coverage(path, entries, data_bytes);

    for (const Entry& e : entries) {
        Tensor t = Tensor::empty(e.shape, e.dtype);
        if (t.nbytes() > 0) std::memcpy(t.raw_data(), bytes.data() + data_start + e.begin, t.nbytes());
        file.tensors.emplace_back(e.name, t);
    }
    return file;
}

}  // namespace induction
