// test_coverage.cpp — walks the op table: every differentiable op must have an f64 gradient
// check. (Kernels and parity cases on every backend: tests/tensor/test_parity.cpp.) When you add
// an op, these tests list what is still missing.
#include <cctype>
#include <set>

#include "tests/support/testing.h"

namespace induction::testing {

TEST(OpTable, EveryDifferentiableOpHasAGradientCheck) {
    std::string missing;
    for (int i = 0; i < static_cast<int>(Op::OP_COUNT); ++i) {
        Op op = static_cast<Op>(i);
        std::string name = op_name(op);
        if (op_info(op).differentiable && !is_covered(Check::GRADCHECK, op))
            missing += name + ": no f64 gradient check\n";
    }
    EXPECT_TRUE(missing.empty()) << missing;
}

TEST(OpTable, NamesAreUniqueAndLowerCase) {
    std::set<std::string> names;
    for (int i = 0; i < static_cast<int>(Op::OP_COUNT); ++i) {
        std::string name = op_name(static_cast<Op>(i));
        EXPECT_TRUE(names.insert(name).second) << name;
        for (char c : name) EXPECT_TRUE(std::islower(c) || c == '_') << name;
    }
}

}  // namespace induction::testing
