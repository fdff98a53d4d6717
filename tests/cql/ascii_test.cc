// postfork/base/ascii.h (postfork_base has no test binary of its own; the codec uses it).
#include "postfork/base/ascii.h"

#include <gtest/gtest.h>

#include <string>

namespace postfork::ascii {
namespace {

TEST(AsciiTest, OnlyLettersChangeCase) {
  EXPECT_EQ(Lower("Hello_World-09 @[`{"), "hello_world-09 @[`{");
  EXPECT_EQ(Upper("Hello_World-09 @[`{"), "HELLO_WORLD-09 @[`{");
  EXPECT_EQ(Lower(""), "");
}

TEST(AsciiTest, EveryByteButAsciiLettersStaysAsItIs) {
  for (int b = 0; b < 256; ++b) {
    char c = static_cast<char>(b);  // negative for b >= 128 where char is signed
    bool upper = b >= 'A' && b <= 'Z', lower = b >= 'a' && b <= 'z';
    EXPECT_EQ(ToLower(c), upper ? static_cast<char>(b + 32) : c) << b;
    EXPECT_EQ(ToUpper(c), lower ? static_cast<char>(b - 32) : c) << b;
  }
  EXPECT_EQ(Upper("\xc3\xa9t\xc3\xa9"), "\xc3\xa9T\xc3\xa9");  // UTF-8 "été"
}

TEST(AsciiTest, EqualsIgnoreCase) {
  EXPECT_TRUE(EqualsIgnoreCase("StorageAttachedIndex", "storageattachedINDEX"));
  EXPECT_TRUE(EqualsIgnoreCase("", ""));
  EXPECT_FALSE(EqualsIgnoreCase("sai", "sa"));
  EXPECT_FALSE(EqualsIgnoreCase("a_", "A-"));
  EXPECT_FALSE(EqualsIgnoreCase("\xc3\xa9", "\xc3\x89"));  // é and É: not ASCII letters
  static_assert(EqualsIgnoreCase("Use", "uSE"));
}

}  // namespace
}  // namespace postfork::ascii
