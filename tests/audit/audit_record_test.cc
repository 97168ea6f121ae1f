// The chain's bytes: canonical JSON (fixed key order, compact, our escapes),
// the JSON line, the hash formula, UTF-8 repair and the proto mapping.
#include "src/audit/audit_record.h"

#include <string>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "nlohmann/json.hpp"
#include "slipway/v1/audit.pb.h"
#include "src/audit/sha256.h"

namespace slipway::internal_audit {
namespace {

using ::testing::HasSubstr;
using ::testing::StartsWith;

AuditRecord Sample() {
  AuditRecord r;
  r.seq = 7;
  r.timestamp_ms = 1767225600250;  // 2026-01-01T00:00:00.250Z
  r.agent = "slipway/0.1.0";
  r.user = "alice";
  r.environment = "production";
  r.command = "model.create";
  r.resource_type = "model";
  r.resource_name = "fraud-detection";
  r.action = "create";
  r.model_name = "fraud-detection";
  r.model_version = "1.2.3";
  r.previous_version = "1.2.2";
  r.change_ticket = "MLOPS-2024-0456";
  r.outcome = AuditOutcome::kDenied;
  r.rollback_config = R"({"version":"1.2.2"})";
  r.duration_ms = 12;
  r.reason = "EMERGENCY_STOP_ACTIVE";
  r.message = "stopped";
  r.prev_hash = std::string(kAuditGenesisHash);
  r.hash = std::string(64, 'a');
  return r;
}

TEST(AuditRecordTest, Sha256MatchesTheStandardVector) {
  // FIPS 180-2, "abc"; and the same bytes given in two pieces.
  EXPECT_EQ(*Sha256Hex("abc"),
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
  EXPECT_EQ(*Sha256Hex("a", "bc"), *Sha256Hex("abc"));
}

TEST(AuditRecordTest, CanonicalJsonHasEveryKeyInFixedOrderWithoutSpaces) {
  EXPECT_EQ(
      CanonicalJson(Sample()),
      R"({"seq":7,"timestamp":"2026-01-01T00:00:00.250Z","agent":"slipway/0.1.0",)"
      R"("user":"alice","environment":"production","command":"model.create",)"
      R"("resource_type":"model","resource_name":"fraud-detection","action":"create",)"
      R"("model_name":"fraud-detection","model_version":"1.2.3",)"
      R"("previous_version":"1.2.2","change_ticket":"MLOPS-2024-0456",)"
      R"("outcome":"denied","rollback_config":"{\"version\":\"1.2.2\"}",)"
      R"("duration_ms":12,"reason":"EMERGENCY_STOP_ACTIVE","message":"stopped",)"
      R"("prev_hash":"0000000000000000000000000000000000000000000000000000000000000000"})");
}

TEST(AuditRecordTest, EmptyFieldsAreEmptyStringsNeverOmitted) {
  AuditRecord r;
  r.seq = 1;
  r.prev_hash = std::string(kAuditGenesisHash);
  nlohmann::json j = nlohmann::json::parse(CanonicalJson(r));
  EXPECT_EQ(j.size(), 19u);
  EXPECT_EQ(j["model_name"], "");
  EXPECT_EQ(j["outcome"], "success");
  EXPECT_EQ(j["timestamp"], "1970-01-01T00:00:00.000Z");
}

TEST(AuditRecordTest, StringsEscapeQuotesBackslashesAndControlsOnly) {
  AuditRecord r = Sample();
  r.message = "a\"b\\c\nd\te\x01 f\x7f é ✓";
  const std::string json = CanonicalJson(r);
  EXPECT_THAT(json, HasSubstr(R"("message":"a\"b\\c\nd\te\u0001 f)"
                              "\x7f"
                              R"( é ✓")"));
  // Any JSON parser reads the original text back.
  EXPECT_EQ(nlohmann::json::parse(json)["message"], r.message);
}

TEST(AuditRecordTest, JsonLineIsCanonicalJsonPlusTheHash) {
  const AuditRecord r = Sample();
  const std::string canonical = CanonicalJson(r);
  const std::string line = JsonLine(r);
  EXPECT_EQ(line, canonical.substr(0, canonical.size() - 1) + R"(,"hash":")" +
                      r.hash + R"("})");
  nlohmann::json j = nlohmann::json::parse(line);
  EXPECT_EQ(j["hash"], r.hash);
  EXPECT_EQ(j["seq"], 7);
  EXPECT_EQ(j["duration_ms"], 12);
}

TEST(AuditRecordTest, HashIsSha256OfPrevHashThenCanonicalJson) {
  AuditRecord r = Sample();
  ASSERT_TRUE(Seal(r).ok());
  EXPECT_EQ(r.hash, *Sha256Hex(std::string(kAuditGenesisHash) +
                               CanonicalJson(r)));
  EXPECT_EQ(r.hash.size(), 64u);
  // The hash covers every field, the seq and the link.
  for (auto edit : {+[](AuditRecord& x) { x.seq = 8; },
                    +[](AuditRecord& x) { x.user = "mallory"; },
                    +[](AuditRecord& x) { x.outcome = AuditOutcome::kSuccess; },
                    +[](AuditRecord& x) { x.duration_ms = 13; },
                    +[](AuditRecord& x) { x.prev_hash[0] = '1'; }}) {
    AuditRecord edited = r;
    edit(edited);
    EXPECT_NE(*ExpectedHash(edited), r.hash);
  }
}

TEST(AuditRecordTest, InvalidUtf8IsReplacedNotDropped) {
  EXPECT_EQ(ValidUtf8("ok é"), "ok é");
  EXPECT_EQ(ValidUtf8("a\xff"
                      "b"),
            "a\xEF\xBF\xBD"
            "b");
  EXPECT_EQ(ValidUtf8("\xC3"), "\xEF\xBF\xBD");  // truncated sequence
}

TEST(AuditRecordTest, ProtoCarriesTheSameFields) {
  const AuditRecord r = Sample();
  v1::AuditRecord proto;
  ToProto(r, &proto);
  EXPECT_EQ(proto.seq(), 7);
  EXPECT_EQ(proto.timestamp(), "2026-01-01T00:00:00.250Z");
  EXPECT_EQ(proto.outcome(), "denied");
  EXPECT_EQ(proto.change_ticket(), "MLOPS-2024-0456");
  EXPECT_EQ(proto.rollback_config(), r.rollback_config);
  EXPECT_EQ(proto.duration_ms(), 12);
  EXPECT_EQ(proto.prev_hash(), r.prev_hash);
  EXPECT_EQ(proto.hash(), r.hash);
  // Every key of the JSON line is a field of the proto, same name.
  nlohmann::json j = nlohmann::json::parse(JsonLine(r));
  for (const auto& [key, value] : j.items()) {
    EXPECT_NE(proto.GetDescriptor()->FindFieldByName(key), nullptr) << key;
  }
  EXPECT_EQ(proto.GetDescriptor()->field_count(), static_cast<int>(j.size()));
}

}  // namespace
}  // namespace slipway::internal_audit
