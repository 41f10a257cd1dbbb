// Issue 13 item 4: the registry's q filter is no oracle for masked values. ID numbers and
// phones match only whole, and a whole-value lookup by a role that sees them masked is audited.
#include <gtest/gtest.h>

#include "api_fixture.h"

namespace baotong::api {
namespace {

namespace http = boost::beast::http;
using testing::ApiFixture;
using testing::Json;

class MaskedLookupTest : public ApiFixture {
 protected:
  std::vector<AuditRecord> Lookups() {
    AuditFilter filter;
    filter.action = "registry.lookup_masked";
    auto page = audit_->List(0, 100, filter);
    EXPECT_TRUE(page);
    return page ? page->items : std::vector<AuditRecord>{};
  }
  int64_t Total(const std::string& target, Role role) {
    auto response = Get(target, role);
    EXPECT_EQ(response.result(), http::status::ok) << response.body();
    return Body(response)["total"].get<int64_t>();
  }
};

TEST_F(MaskedLookupTest, PrefixesOfAnIdNumberMatchNothing) {
  const std::string id = "210302198507150011";
  // The fixture has no health records: one of the driver's, so that the health listing has
  // something a prefix could find.
  std::vector<registry::HealthRecord> records = {
      {id, "核酸检测", 1'650'000'000'000, "张伟", "阴性", std::nullopt, 0}};
  ASSERT_TRUE(registry_->Upsert(std::span<registry::HealthRecord>(records), 1));
  ASSERT_EQ(Total("/api/registry/health_records?q=" + id, Role::kHealth), 1);
  // Digit by digit, as the attack went: no prefix or inner part finds the driver.
  for (size_t length = 1; length < id.size(); ++length) {
    EXPECT_EQ(Total("/api/registry/drivers?q=" + id.substr(0, length), Role::kDistrict), 0)
        << length;
    EXPECT_EQ(Total("/api/registry/health_records?q=" + id.substr(0, length), Role::kHealth), 0)
        << length;
  }
  EXPECT_EQ(Total("/api/registry/drivers?q=19850715", Role::kDistrict), 0);
  EXPECT_EQ(Total("/api/registry/drivers?q=1391234", Role::kDistrict), 0);
  EXPECT_TRUE(Lookups().empty());
  // Names still match by substring.
  EXPECT_EQ(Total("/api/registry/drivers?q=%E5%BC%A0", Role::kDistrict), 1);  // 张
  EXPECT_TRUE(Lookups().empty());
}

TEST_F(MaskedLookupTest, AWholeIdNumberMatchesAndIsAuditedForAMaskedRole) {
  auto response = Get("/api/registry/drivers?q=210302198507150011", Role::kDistrict);
  ASSERT_EQ(response.result(), http::status::ok) << response.body();
  Json page = Body(response);
  ASSERT_EQ(page["total"], 1);
  EXPECT_EQ(page["items"][0]["id_number"], "210302********0011");  // still masked
  auto lookups = Lookups();
  ASSERT_EQ(lookups.size(), 1u);
  EXPECT_EQ(lookups[0].entry.role, "district");
  EXPECT_EQ(Json::parse(lookups[0].entry.detail)["matched_fields"], Json::array({"id_number"}));

  // A whole phone as well.
  ASSERT_EQ(Total("/api/registry/drivers?q=13912345678", Role::kDistrict), 1);
  lookups = Lookups();
  ASSERT_EQ(lookups.size(), 2u);
  EXPECT_EQ(Json::parse(lookups[0].entry.detail)["matched_fields"], Json::array({"phone"}));
}

TEST_F(MaskedLookupTest, ARoleThatSeesTheValueIsNotAuditedForTheLookup) {
  // The admin sees ID numbers unmasked: the read itself is audited (registry.read), the
  // lookup is no disclosure of a masked value.
  ASSERT_EQ(Total("/api/registry/drivers?q=210302198507150011", Role::kAdmin), 1);
  EXPECT_TRUE(Lookups().empty());
}

}  // namespace
}  // namespace baotong::api
