// test_coverage.cpp — walks the op table: every op must have a reference kernel, a fast CPU
// kernel, a fast-vs-reference parity test and, if differentiable, an f64 gradient check.
// When you add an op, this test lists what is still missing.
#include <cctype>
#include <set>

#include "tests/support/testing.h"

namespace induction::testing {

TEST(OpTable, EveryOpHasKernelsAndTests) {
    std::string missing;
    for (int i = 0; i < static_cast<int>(Op::OP_COUNT); ++i) {
        Op op = static_cast<Op>(i);
        std::string name = op_name(op);
        if (!reference::supports(op)) missing += name + ": no reference kernel\n";
        if (!cpu::supports(op)) missing += name + ": no fast CPU kernel\n";
        if (!is_covered(Check::PARITY, op)) missing += name + ": no fast-vs-reference test\n";
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
