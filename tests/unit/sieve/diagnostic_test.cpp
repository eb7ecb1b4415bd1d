#include "letterbox/sieve/diagnostic.hpp"

#include <gtest/gtest.h>

using letterbox::sieve::Diagnostic;
using letterbox::sieve::format_diagnostic;

TEST(SieveDiagnostic, PrintsFileLineColumnAndMessage) {
  EXPECT_EQ(format_diagnostic("vacation.sieve", Diagnostic{{3, 14}, "unknown command \"filein\""}),
            "vacation.sieve:3:14: unknown command \"filein\"");
}
