// csv.cpp — the CSV reader of csv.h.
#include "model/io/csv.h"

#include <charconv>
#include <cmath>
#include <system_error>
#include <utility>

#include "model/io/file_io.h"
#include "tensor/error.h"

namespace induction::csv {

std::vector<std::string> split_line(std::string_view line) {
    std::vector<std::string> cells;
    size_t start = 0;
    while (true) {
        size_t comma = line.find(',', start);
        cells.emplace_back(line.substr(start, comma - start));
        if (comma == std::string_view::npos) return cells;
        start = comma + 1;
    }
}

double parse_number(const std::string& cell, const std::string& path, size_t line) {
    if (cell.empty() || cell == "nan" || cell == "NaN" || cell == "null") return NAN;
    double value = 0;
    auto [end, error] = std::from_chars(cell.data(), cell.data() + cell.size(), value);
    check(error == std::errc() && end == cell.data() + cell.size(), path, ": line ", line,
          ": expected a number, got '", cell, "'");
    return value;
}

Table parse(std::string_view text, const std::string& path) {
    Table table;
    size_t line_number = 0, start = 0;
    while (start < text.size()) {
        size_t end = text.find('\n', start);
        if (end == std::string_view::npos) end = text.size();
        std::string_view line = text.substr(start, end - start);
        if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
        start = end + 1;
        ++line_number;
        if (line.empty()) continue;
        std::vector<std::string> cells = split_line(line);
        if (table.header.empty()) {
            table.header = std::move(cells);
            continue;
        }
        check(cells.size() == table.header.size(), path, ": line ", line_number, " has ", cells.size(),
              " cells, the header has ", table.header.size());
        std::vector<double> row;
        for (const std::string& cell : cells) row.push_back(parse_number(cell, path, line_number));
        table.rows.push_back(std::move(row));
    }
    check(!table.header.empty(), path, ": empty file (expected a header row)");
    return table;
}

Table read_file(const std::string& path) { return parse(read_file_bytes(path), path); }

std::optional<Table> read_file_if_present(const std::string& path) {
    if (!file_exists(path)) return std::nullopt;
    return read_file(path);
}

}  // namespace induction::csv
