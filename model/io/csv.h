// csv.h — a small reader of the CSV files this project writes: a header row, then rows of numbers
// (loss_by_position.csv and loss_derivative.csv of analysis/metrics_schema.md, train_loss.csv of
// train/trainer.h).
//
// Cells are separated by commas, with no quoting (no cell of these files holds a comma). Empty
// lines are skipped and a '\r' before a line's '\n' is dropped. An empty cell, "nan", "NaN" or
// "null" is a missing value and reads as NaN. Every error names the file and the line.
#pragma once

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace induction::csv {

// A header row and the rows of numbers under it; every row has as many cells as the header.
struct Table {
    std::vector<std::string> header;
    std::vector<std::vector<double>> rows;
};

// The cells of one line, split at every comma: "a,,b" is {"a", "", "b"}.
std::vector<std::string> split_line(std::string_view line);

// One cell as a number (NaN for a missing value). Throws induction::Error
// "<path>: line <line>: expected a number, got '<cell>'" for anything else.
double parse_number(const std::string& cell, const std::string& path, size_t line);

// A whole file's text as a table; path only names the file in errors.
Table parse(std::string_view text, const std::string& path);

// The table in the file at path (read with read_file_bytes).
Table read_file(const std::string& path);

// The table in the file at path, or nothing when there is no such file.
std::optional<Table> read_file_if_present(const std::string& path);

}  // namespace induction::csv
