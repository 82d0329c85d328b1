// test_csv.cpp — the CSV reader of model/io/csv.h: cells split at every comma, missing values as
// NaN, empty lines and '\r' ignored, and errors that name the file and the line.
#include <gtest/gtest.h>

#include <cmath>

#include "model/io/csv.h"
#include "tests/support/testing.h"

namespace induction::testing {
namespace {

TEST(Csv, SplitsAtEveryComma) {
    EXPECT_EQ(csv::split_line("a,,b"), (std::vector<std::string>{"a", "", "b"}));
    EXPECT_EQ(csv::split_line(""), (std::vector<std::string>{""}));
    EXPECT_EQ(csv::split_line("1,2,"), (std::vector<std::string>{"1", "2", ""}));
}

TEST(Csv, ReadsAHeaderAndRowsOfNumbers) {
    const csv::Table table = csv::parse("step,tokens,2\r\n\n10,1000,3.5\n20,2000,nan\n30,3000,\n", "t.csv");
    EXPECT_EQ(table.header, (std::vector<std::string>{"step", "tokens", "2"}));
    ASSERT_EQ(table.rows.size(), 3u);
    EXPECT_EQ(table.rows[0], (std::vector<double>{10, 1000, 3.5}));
    EXPECT_TRUE(std::isnan(table.rows[1][2]));
    EXPECT_TRUE(std::isnan(table.rows[2][2]));  // an empty cell is a missing value
    EXPECT_TRUE(std::isnan(csv::parse_number("null", "t.csv", 1)));
    EXPECT_EQ(csv::parse_number("-1e-3", "t.csv", 1), -1e-3);
}

TEST(Csv, ErrorsNameTheFileAndTheLine) {
    EXPECT_THROW_MESSAGE(csv::parse("a,b\n1,oops\n", "t.csv"), "t.csv: line 2: expected a number, got 'oops'");
    EXPECT_THROW_MESSAGE(csv::parse("a,b\n1\n", "t.csv"), "t.csv: line 2 has 1 cells, the header has 2");
    EXPECT_THROW_MESSAGE(csv::parse("\n\n", "t.csv"), "t.csv: empty file (expected a header row)");
    EXPECT_THROW_MESSAGE(csv::parse_number("1.5x", "t.csv", 7), "t.csv: line 7: expected a number, got '1.5x'");
}

TEST(Csv, ReadsFilesAndSaysWhenThereIsNone) {
    TempDir dir;
    EXPECT_FALSE(csv::read_file_if_present(dir / "missing.csv").has_value());
    dir.write("t.csv", "x,y\n1,2\n");
    const std::optional<csv::Table> table = csv::read_file_if_present(dir / "t.csv");
    ASSERT_TRUE(table.has_value());
    EXPECT_EQ(table->rows, (std::vector<std::vector<double>>{{1, 2}}));
}

}  // namespace
}  // namespace induction::testing
