#include "api/http_util.h"

#include <gtest/gtest.h>

#include "api/sealed_keys.h"

namespace baotong::api {
namespace {

TEST(PercentDecode, DecodesChineseAndRefusesBrokenEscapes) {
  EXPECT_EQ(PercentDecode("%E8%BE%BDC12345", false), "辽C12345");
  EXPECT_EQ(PercentDecode("a+b", true), "a b");
  EXPECT_EQ(PercentDecode("a+b", false), "a+b");
  EXPECT_FALSE(PercentDecode("%E8%B", false));
  EXPECT_FALSE(PercentDecode("%", false));
  EXPECT_FALSE(PercentDecode("%zz", false));
}

TEST(QueryParam, FindsDecodedValuesByName) {
  const std::string target = "/api/registry/vehicles?q=%E8%BE%BDC&status=valid&empty=&flag";
  EXPECT_EQ(QueryParam(target, "q"), "辽C");
  EXPECT_EQ(QueryParam(target, "status"), "valid");
  EXPECT_EQ(QueryParam(target, "empty"), "");
  EXPECT_EQ(QueryParam(target, "flag"), "");
  EXPECT_FALSE(QueryParam(target, "stat"));
  EXPECT_FALSE(QueryParam("/api/registry/vehicles", "q"));
  EXPECT_EQ(PathOf(target), "/api/registry/vehicles");
}

TEST(SealedKeys, RoundTripAndRevealNothing) {
  const std::string id = "210302198507150011";
  const std::string sealed = SealKey(id);
  EXPECT_TRUE(IsSealedKey(sealed));
  EXPECT_EQ(sealed.find(id), std::string::npos);
  EXPECT_NE(SealKey(id), sealed);  // a fresh nonce each time
  EXPECT_EQ(UnsealKey(sealed), id);
  std::string tampered = sealed;
  tampered.back() = tampered.back() == 'A' ? 'B' : 'A';
  EXPECT_FALSE(UnsealKey(tampered));
  EXPECT_FALSE(UnsealKey("s."));
  EXPECT_FALSE(UnsealKey("s.!!!"));
  EXPECT_FALSE(UnsealKey(id));
}

}  // namespace
}  // namespace baotong::api
