// search_model_versions filters (src/registry/version_filter.h): what a
// version filter may name, and how it matches versions in memory.
#include "src/registry/version_filter.h"

#include <string>
#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "slipway/registry.h"
#include "slipway/status.h"
#include "tests/storage/storage_test_util.h"

namespace slipway::internal_registry {
namespace {

using ::slipway::storage_test::MessageOf;
using ::slipway::storage_test::ReasonOf;
using ::testing::HasSubstr;

// A version of "fraud-detection" with two tags.
ModelVersionInfo Fraud241() {
  ModelVersionInfo v;
  v.model = "fraud-detection";
  v.version = "2.4.1";
  v.run_id = "0123456789abcdef0123456789abcdef";
  v.tags = {{"stage", "canary"}, {"team", "risk"}};
  v.approval = ApprovalStatus::kApproved;
  v.created_ms = 1'700'000'000'000;
  v.created_by = "alice";
  return v;
}

// A version of "churn" without tags or run.
ModelVersionInfo Churn7() {
  ModelVersionInfo v;
  v.model = "churn";
  v.version = "7";
  v.approval = ApprovalStatus::kNone;
  v.created_ms = 1'800'000'000'000;
  v.created_by = "Bob";
  return v;
}

// Parses `filter` (failing the test if it does not parse) and matches it.
bool Matches(const std::string& filter, const ModelVersionInfo& v) {
  absl::StatusOr<internal_query::Filter> parsed = ParseVersionFilter(filter);
  EXPECT_TRUE(parsed.ok()) << filter << ": " << parsed.status();
  if (!parsed.ok()) return false;
  return MatchesVersionFilter(*parsed, v);
}

TEST(ParseVersionFilterTest, AcceptsWhatVersionsHave) {
  for (const char* filter : {
           "",
           "   ",
           "tags.team = 'risk'",
           "tag.`with space` = 'x'",
           "attributes.name = 'fraud-detection'",
           "attributes.model = 'fraud-detection'",
           "attributes.version = '2.4.1'",
           "attributes.approval = 'Approved'",
           "attributes.approval_status = 'Approved'",
           "attributes.run_id = ''",
           "attributes.user = 'alice'",
           "attributes.created > 5",
           "attributes.created >= 1700000000000 and attributes.created < 2e12",
           "tags.team IN ('risk', 'ops') or not attributes.version LIKE '1.%'",
       }) {
    absl::StatusOr<internal_query::Filter> f = ParseVersionFilter(filter);
    EXPECT_TRUE(f.ok()) << filter << ": " << f.status();
  }
}

TEST(ParseVersionFilterTest, RefusesRunOnlyEntitiesWithFilterType) {
  for (const char* filter : {
           "metrics.acc > 0.5",
           "params.lr = '0.01'",
           "attributes.status = 'FINISHED'",
           "attributes.run_name = 'x'",
           "attributes.end_time > 5",
           "attributes.experiment_id = '1'",
           // Nested anywhere in the tree.
           "tags.team = 'risk' and (attributes.version = '1' or "
           "metrics.auc > 0.9)",
           "not params.depth = '6'",
       }) {
    absl::StatusOr<internal_query::Filter> f = ParseVersionFilter(filter);
    ASSERT_FALSE(f.ok()) << filter;
    EXPECT_EQ(f.status().code(), absl::StatusCode::kInvalidArgument) << filter;
    EXPECT_EQ(ReasonOf(f.status()), "FILTER_TYPE") << filter;
    EXPECT_EQ(GetErrorDetail(f.status())->value, filter);
  }
  absl::Status s = ParseVersionFilter("metrics.acc > 0.5").status();
  EXPECT_THAT(MessageOf(s), HasSubstr("metrics.acc"));
  EXPECT_THAT(GetErrorDetail(s)->fix, HasSubstr("tags.<key>"));
  EXPECT_THAT(MessageOf(ParseVersionFilter("attributes.status = 'x'").status()),
              HasSubstr("attributes.status"));
}

TEST(ParseVersionFilterTest, KeepsTheGrammarsOwnErrors) {
  EXPECT_EQ(ReasonOf(ParseVersionFilter("tags.team = ").status()),
            "FILTER_SYNTAX");
  EXPECT_EQ(ReasonOf(ParseVersionFilter("tags.team = 'a'; drop").status()),
            "FILTER_SYNTAX");
  EXPECT_EQ(ReasonOf(ParseVersionFilter("attributes.nope = 'a'").status()),
            "FILTER_UNKNOWN_ATTRIBUTE");
  // A string where a number belongs, and an ordering on a string.
  EXPECT_EQ(ReasonOf(ParseVersionFilter("attributes.created = 'x'").status()),
            "FILTER_TYPE");
  EXPECT_EQ(ReasonOf(ParseVersionFilter("attributes.version > '1'").status()),
            "FILTER_TYPE");
}

TEST(MatchesVersionFilterTest, EmptyFilterMatchesEverything) {
  EXPECT_TRUE(Matches("", Fraud241()));
  EXPECT_TRUE(Matches("", Churn7()));
}

TEST(MatchesVersionFilterTest, EqualsAndNotEquals) {
  EXPECT_TRUE(Matches("tags.team = 'risk'", Fraud241()));
  EXPECT_FALSE(Matches("tags.team = 'Risk'", Fraud241()));
  EXPECT_FALSE(Matches("tags.team != 'risk'", Fraud241()));
  EXPECT_TRUE(Matches("tags.team != 'ops'", Fraud241()));
  EXPECT_TRUE(Matches("attributes.name = 'fraud-detection'", Fraud241()));
  EXPECT_FALSE(Matches("attributes.name = 'fraud-detection'", Churn7()));
  EXPECT_TRUE(Matches("attributes.version = '2.4.1'", Fraud241()));
  EXPECT_TRUE(Matches("attributes.version = '7'", Churn7()));
  EXPECT_TRUE(Matches("attributes.approval = 'Approved'", Fraud241()));
  EXPECT_TRUE(Matches("attributes.approval = 'None'", Churn7()));
  EXPECT_TRUE(Matches("attributes.run_id = ''", Churn7()));
  EXPECT_FALSE(Matches("attributes.run_id = ''", Fraud241()));
  EXPECT_TRUE(Matches(
      "attributes.run_id = '0123456789abcdef0123456789abcdef'", Fraud241()));
  EXPECT_TRUE(Matches("attributes.user = 'alice'", Fraud241()));
  EXPECT_FALSE(Matches("attributes.user = 'alice'", Churn7()));
}

TEST(MatchesVersionFilterTest, LikeIsCaseSensitiveAndIlikeIsNot) {
  EXPECT_TRUE(Matches("attributes.name LIKE 'fraud%'", Fraud241()));
  EXPECT_FALSE(Matches("attributes.name LIKE 'FRAUD%'", Fraud241()));
  EXPECT_TRUE(Matches("attributes.name ILIKE 'FRAUD%'", Fraud241()));
  EXPECT_TRUE(Matches("attributes.version LIKE '2._._'", Fraud241()));
  EXPECT_FALSE(Matches("attributes.version LIKE '2._'", Fraud241()));
  EXPECT_TRUE(Matches("attributes.user ILIKE 'b%'", Churn7()));
  EXPECT_FALSE(Matches("attributes.user LIKE 'b%'", Churn7()));
  EXPECT_TRUE(Matches("tags.stage LIKE '%nar%'", Fraud241()));
}

TEST(MatchesVersionFilterTest, InAndNotIn) {
  EXPECT_TRUE(Matches("tags.team IN ('ops', 'risk')", Fraud241()));
  EXPECT_FALSE(Matches("tags.team IN ('ops', 'growth')", Fraud241()));
  EXPECT_FALSE(Matches("tags.team NOT IN ('ops', 'risk')", Fraud241()));
  EXPECT_TRUE(Matches("tags.team NOT IN ('ops')", Fraud241()));
  EXPECT_TRUE(Matches(
      "attributes.approval IN ('Approved', 'PendingApproval')", Fraud241()));
  EXPECT_FALSE(Matches(
      "attributes.approval IN ('Approved', 'PendingApproval')", Churn7()));
}

TEST(MatchesVersionFilterTest, AMissingTagMatchesOnlyNotEqualsAndNotIn) {
  const ModelVersionInfo v = Churn7();  // no tags at all
  EXPECT_FALSE(Matches("tags.team = 'risk'", v));
  EXPECT_FALSE(Matches("tags.team = ''", v));
  EXPECT_TRUE(Matches("tags.team != 'risk'", v));
  EXPECT_FALSE(Matches("tags.team LIKE '%'", v));
  EXPECT_FALSE(Matches("tags.team ILIKE '%'", v));
  EXPECT_FALSE(Matches("tags.team IN ('risk', '')", v));
  EXPECT_TRUE(Matches("tags.team NOT IN ('risk')", v));
  // Tag keys are case-sensitive.
  EXPECT_FALSE(Matches("tags.Team = 'risk'", Fraud241()));
}

TEST(MatchesVersionFilterTest, AndOrNotAndParentheses) {
  const ModelVersionInfo f = Fraud241();
  const ModelVersionInfo c = Churn7();
  const std::string both =
      "tags.team = 'risk' and attributes.approval = 'Approved'";
  EXPECT_TRUE(Matches(both, f));
  EXPECT_FALSE(Matches(both, c));
  const std::string either =
      "attributes.name = 'churn' or tags.team = 'risk'";
  EXPECT_TRUE(Matches(either, f));
  EXPECT_TRUE(Matches(either, c));
  EXPECT_FALSE(Matches("not attributes.name = 'churn'", c));
  EXPECT_TRUE(Matches("not attributes.name = 'churn'", f));
  // NOT binds tighter than AND, AND tighter than OR.
  EXPECT_TRUE(Matches(
      "attributes.name = 'churn' or tags.team = 'ops' and tags.stage = 'x'", c));
  EXPECT_FALSE(Matches(
      "(attributes.name = 'churn' or tags.team = 'ops') and tags.stage = 'x'",
      c));
  EXPECT_TRUE(Matches("NOT (tags.team = 'ops' OR tags.stage = 'full')", f));
  EXPECT_FALSE(Matches("not not tags.team = 'ops'", f));
}

TEST(MatchesVersionFilterTest, CreatedComparesAsANumber) {
  const ModelVersionInfo f = Fraud241();  // 1,700,000,000,000
  EXPECT_TRUE(Matches("attributes.created = 1700000000000", f));
  EXPECT_FALSE(Matches("attributes.created != 1700000000000", f));
  EXPECT_TRUE(Matches("attributes.created >= 1700000000000", f));
  EXPECT_FALSE(Matches("attributes.created > 1700000000000", f));
  EXPECT_TRUE(Matches("attributes.created <= 1700000000000", f));
  EXPECT_FALSE(Matches("attributes.created < 1700000000000", f));
  EXPECT_TRUE(Matches("attributes.created < 1.8e12", f));
  EXPECT_FALSE(Matches("attributes.created < 1.8e12", Churn7()));
  // 9 < 10 as numbers (a string comparison would say otherwise).
  ModelVersionInfo early = f;
  early.created_ms = 9;
  EXPECT_TRUE(Matches("attributes.created < 10", early));
}

TEST(MatchesVersionFilterTest, InjectionLikeStringsArePlainValues) {
  ModelVersionInfo v = Fraud241();
  v.tags = {{"note", "x' OR '1'='1"}, {"sql", "; DROP TABLE model_version; --"}};
  // A doubled quote is one quote inside the value.
  EXPECT_TRUE(Matches("tags.note = 'x'' OR ''1''=''1'", v));
  EXPECT_FALSE(Matches("tags.note = 'x'' OR ''1''=''1'", Fraud241()));
  EXPECT_TRUE(Matches("tags.sql = '; DROP TABLE model_version; --'", v));
  EXPECT_FALSE(Matches("tags.sql = '; DROP TABLE model_version; --'", Churn7()));
  // A value that tries to close the quote and add a condition matches
  // nothing but that exact text.
  EXPECT_FALSE(Matches("attributes.name = 'x'' or ''a''=''a'", v));
  EXPECT_FALSE(Matches("attributes.name = 'fraud-detection'' --'", v));
  // LIKE wildcards inside the value are wildcards only for LIKE.
  ModelVersionInfo pct = Churn7();
  pct.tags = {{"p", "100%"}};
  EXPECT_TRUE(Matches("tags.p = '100%'", pct));
  EXPECT_FALSE(Matches("tags.p = '100'", pct));
  EXPECT_FALSE(Matches("tags.p = '%'", pct));
}

}  // namespace
}  // namespace slipway::internal_registry
