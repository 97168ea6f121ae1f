#include "src/query/entity.h"

#include <string>

#include "gtest/gtest.h"
#include "tests/query/error_matchers.h"

namespace slipway::internal_query {
namespace {

const Grammar& TestGrammar() {
  static const Grammar* const g = new Grammar{
      "filter", "FILTER_SYNTAX", "FILTER_UNKNOWN_ATTRIBUTE",
      "rule", "a valid filter: metrics.acc > 0.9"};
  return *g;
}

absl::StatusOr<EntityRef> Parse(std::string_view text, size_t* end = nullptr) {
  Scanner s(text);
  absl::StatusOr<EntityRef> e = ParseEntity(s, TestGrammar());
  if (end != nullptr) *end = s.offset();
  return e;
}

std::string Canonical(std::string_view text) {
  absl::StatusOr<EntityRef> e = Parse(text);
  if (!e.ok()) return std::string(e.status().message());
  std::string out;
  AppendEntity(&out, *e);
  return out;
}

TEST(ParseEntityTest, PrefixesAndMlflowAliases) {
  struct Case {
    const char* text;
    EntityKind kind;
  } cases[] = {
      {"metrics.a", EntityKind::kMetric},    {"metric.a", EntityKind::kMetric},
      {"METRICS.a", EntityKind::kMetric},    {"params.a", EntityKind::kParam},
      {"param.a", EntityKind::kParam},       {"parameters.a", EntityKind::kParam},
      {"parameter.a", EntityKind::kParam},   {"tags.a", EntityKind::kTag},
      {"tag.a", EntityKind::kTag},           {"Tags.a", EntityKind::kTag},
  };
  for (const Case& c : cases) {
    absl::StatusOr<EntityRef> e = Parse(c.text);
    ASSERT_TRUE(e.ok()) << c.text << ": " << e.status();
    EXPECT_EQ(e->kind, c.kind) << c.text;
    EXPECT_EQ(e->key, "a") << c.text;
    EXPECT_EQ(e->attribute, Attribute::kNone);
  }
}

TEST(ParseEntityTest, AttributesByNameAndAlias) {
  struct Case {
    const char* text;
    Attribute attribute;
    const char* canonical;
  } cases[] = {
      {"attributes.status", Attribute::kStatus, "attributes.status"},
      {"attribute.run_name", Attribute::kRunName, "attributes.run_name"},
      {"attr.run_id", Attribute::kRunId, "attributes.run_id"},
      {"run.start_time", Attribute::kStartTime, "attributes.start_time"},
      {"attributes.created", Attribute::kStartTime, "attributes.start_time"},
      {"attributes.end_time", Attribute::kEndTime, "attributes.end_time"},
      {"attributes.user", Attribute::kUser, "attributes.user"},
      {"attributes.user_id", Attribute::kUser, "attributes.user"},
      {"attributes.experiment_id", Attribute::kExperimentId,
       "attributes.experiment_id"},
      {"ATTRIBUTES.Status", Attribute::kStatus, "attributes.status"},
      {"attributes.`status`", Attribute::kStatus, "attributes.status"},
  };
  for (const Case& c : cases) {
    absl::StatusOr<EntityRef> e = Parse(c.text);
    ASSERT_TRUE(e.ok()) << c.text << ": " << e.status();
    EXPECT_EQ(e->kind, EntityKind::kAttribute);
    EXPECT_EQ(e->attribute, c.attribute) << c.text;
    EXPECT_EQ(Canonical(c.text), c.canonical);
  }
}

TEST(ParseEntityTest, NumericEntities) {
  EXPECT_TRUE(IsNumeric(EntityKind::kMetric, Attribute::kNone));
  EXPECT_TRUE(IsNumeric(EntityKind::kAttribute, Attribute::kStartTime));
  EXPECT_TRUE(IsNumeric(EntityKind::kAttribute, Attribute::kEndTime));
  EXPECT_FALSE(IsNumeric(EntityKind::kParam, Attribute::kNone));
  EXPECT_FALSE(IsNumeric(EntityKind::kAttribute, Attribute::kStatus));
  EXPECT_FALSE(IsNumeric(EntityKind::kAttribute, Attribute::kExperimentId));
}

TEST(ParseEntityTest, BareKeysStopAtOtherCharacters) {
  size_t end = 0;
  absl::StatusOr<EntityRef> e = Parse("metrics.val/loss-2.x_y>1", &end);
  ASSERT_TRUE(e.ok()) << e.status();
  EXPECT_EQ(e->key, "val/loss-2.x_y");
  EXPECT_EQ(end, 22u);
  EXPECT_EQ(Parse("metrics.Acc")->key, "Acc");  // keys keep their case
  EXPECT_EQ(Parse("metrics.2019")->key, "2019");
}

TEST(ParseEntityTest, QuotedKeys) {
  EXPECT_EQ(Parse("metrics.`val loss`")->key, "val loss");
  EXPECT_EQ(Parse("metrics.\"val loss\"")->key, "val loss");
  EXPECT_EQ(Parse("metrics.'val loss'")->key, "val loss");
  EXPECT_EQ(Parse("tags.`a``b`")->key, "a`b");
  EXPECT_EQ(Parse("tags.\"say \"\"hi\"\"\"")->key, "say \"hi\"");
  EXPECT_EQ(Parse("tags.`caf\xc3\xa9`")->key, "caf\xc3\xa9");
  EXPECT_EQ(Parse("tags.`mlflow.runName`")->key, "mlflow.runName");
}

TEST(AppendEntityTest, BareWhenPossibleElseBackquoted) {
  EXPECT_EQ(Canonical("metric.acc"), "metrics.acc");
  EXPECT_EQ(Canonical("params.`lr`"), "params.lr");
  EXPECT_EQ(Canonical("tags.\"a/b-c.d_e\""), "tags.a/b-c.d_e");
  EXPECT_EQ(Canonical("metrics.\"val loss\""), "metrics.`val loss`");
  EXPECT_EQ(Canonical("tags.'a`b'"), "tags.`a``b`");
  EXPECT_EQ(Canonical("tags.`caf\xc3\xa9`"), "tags.`caf\xc3\xa9`");
}

TEST(ParseEntityTest, Errors) {
  EXPECT_TRUE(IsQueryError(Parse("foo.x").status(), "FILTER_SYNTAX", 1));
  EXPECT_TRUE(IsQueryError(Parse("metrics").status(), "FILTER_SYNTAX", 1));
  EXPECT_TRUE(IsQueryError(Parse("metrics x").status(), "FILTER_SYNTAX", 1));
  EXPECT_TRUE(IsQueryError(Parse("1").status(), "FILTER_SYNTAX", 1));
  EXPECT_TRUE(IsQueryError(Parse("").status(), "FILTER_SYNTAX", 1));
  EXPECT_TRUE(IsQueryError(Parse("metrics.").status(), "FILTER_SYNTAX", 9));
  EXPECT_TRUE(IsQueryError(Parse("metrics. x").status(), "FILTER_SYNTAX", 9));
  EXPECT_TRUE(IsQueryError(Parse("metrics.``").status(), "FILTER_SYNTAX", 9));
  EXPECT_TRUE(IsQueryError(Parse("metrics.`val loss").status(), "FILTER_SYNTAX", 9));
  EXPECT_TRUE(IsQueryError(Parse("attributes.lifecycle_stage").status(),
                           "FILTER_UNKNOWN_ATTRIBUTE", 12));
  EXPECT_TRUE(IsQueryError(Parse("run.nickname").status(),
                           "FILTER_UNKNOWN_ATTRIBUTE", 5));
}

}  // namespace
}  // namespace slipway::internal_query
