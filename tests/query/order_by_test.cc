#include "src/query/order_by.h"

#include <string>
#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "slipway/status.h"
#include "tests/query/error_matchers.h"

namespace slipway::internal_query {
namespace {

using ::testing::HasSubstr;

TEST(ParseOrderByTermTest, EntityAndDirection) {
  absl::StatusOr<OrderBy> t = ParseOrderByTerm("metrics.acc DESC");
  ASSERT_TRUE(t.ok()) << t.status();
  EXPECT_EQ(t->entity.kind, EntityKind::kMetric);
  EXPECT_EQ(t->entity.key, "acc");
  EXPECT_FALSE(t->ascending);

  t = ParseOrderByTerm("params.lr");
  ASSERT_TRUE(t.ok()) << t.status();
  EXPECT_TRUE(t->ascending);  // ASC when omitted

  t = ParseOrderByTerm("attributes.start_time ASC");
  ASSERT_TRUE(t.ok()) << t.status();
  EXPECT_EQ(t->entity.attribute, Attribute::kStartTime);
  EXPECT_TRUE(t->ascending);
}

TEST(ParseOrderByTermTest, CanonicalText) {
  struct Case {
    const char* term;
    const char* canonical;
  } cases[] = {
      {"metrics.acc DESC", "metrics.acc DESC"},
      {"metric.acc desc", "metrics.acc DESC"},
      {"params.lr", "params.lr ASC"},
      {"  tags.team   Asc  ", "tags.team ASC"},
      {"attr.created", "attributes.start_time ASC"},
      {"run.status DESC", "attributes.status DESC"},
      {"metrics.`val loss` DESC", "metrics.`val loss` DESC"},
      {"metrics.\"val loss\"", "metrics.`val loss` ASC"},
      {"tags.'a`b'", "tags.`a``b` ASC"},
      {"tags.'a``b'", "tags.`a````b` ASC"},
  };
  for (const Case& c : cases) {
    absl::StatusOr<OrderBy> t = ParseOrderByTerm(c.term);
    ASSERT_TRUE(t.ok()) << c.term << ": " << t.status();
    EXPECT_EQ(ToString(*t), c.canonical) << c.term;
    absl::StatusOr<OrderBy> again = ParseOrderByTerm(ToString(*t));
    ASSERT_TRUE(again.ok()) << again.status();
    EXPECT_EQ(*again, *t);
  }
}

TEST(ParseOrderByTermTest, ErrorsNameTheReasonAndPosition) {
  struct Case {
    const char* term;
    const char* reason;
    size_t position;
  } cases[] = {
      {"", "ORDER_BY_SYNTAX", 1},
      {"   ", "ORDER_BY_SYNTAX", 4},
      {"acc DESC", "ORDER_BY_SYNTAX", 1},
      {"metrics.", "ORDER_BY_SYNTAX", 9},
      {"metrics.acc DESCENDING", "ORDER_BY_SYNTAX", 13},
      {"metrics.acc DOWN", "ORDER_BY_SYNTAX", 13},
      {"metrics.acc DESC, params.lr", "ORDER_BY_SYNTAX", 17},
      {"metrics.acc DESC params.lr", "ORDER_BY_SYNTAX", 18},
      {"metrics.acc; DROP TABLE run", "ORDER_BY_SYNTAX", 12},
      {"metrics.`acc DESC", "ORDER_BY_SYNTAX", 9},
      {"metrics.val loss DESC", "ORDER_BY_SYNTAX", 13},
      {"metrics.`x`desc", "ORDER_BY_SYNTAX", 12},
      {"attributes.lifecycle_stage", "ORDER_BY_UNKNOWN_ATTRIBUTE", 12},
      {"metrics.a\xff", "ORDER_BY_SYNTAX", 10},
  };
  for (const Case& c : cases) {
    EXPECT_TRUE(IsQueryError(ParseOrderByTerm(c.term).status(), c.reason,
                             c.position))
        << "term: " << c.term;
  }
  absl::Status st = ParseOrderByTerm("metrics.acc DESCENDING").status();
  EXPECT_THAT(st.message(), HasSubstr("expected ASC or DESC"));
  EXPECT_THAT(st.message(), HasSubstr("metrics.acc DESC"));
  EXPECT_EQ(GetErrorDetail(st)->value, "metrics.acc DESCENDING");
}

TEST(ParseOrderByTermTest, LongTermIsACleanError) {
  const std::string ok = "tags.`" + std::string(kMaxOrderByTermLength - 7, 'k') + "`";
  EXPECT_TRUE(ParseOrderByTerm(ok).ok());
  EXPECT_TRUE(IsQueryError(ParseOrderByTerm(ok + " ").status(),
                           "ORDER_BY_TOO_COMPLEX", kMaxOrderByTermLength + 1));
}

TEST(ParseOrderByTest, ListsAndEmptyList) {
  std::vector<std::string> terms = {"metrics.acc DESC", "attributes.start_time"};
  absl::StatusOr<std::vector<OrderBy>> out = ParseOrderBy(terms);
  ASSERT_TRUE(out.ok()) << out.status();
  ASSERT_EQ(out->size(), 2u);
  EXPECT_EQ(ToString((*out)[0]), "metrics.acc DESC");
  EXPECT_EQ(ToString((*out)[1]), "attributes.start_time ASC");

  absl::StatusOr<std::vector<OrderBy>> none = ParseOrderBy({});
  ASSERT_TRUE(none.ok());
  EXPECT_TRUE(none->empty());
}

TEST(ParseOrderByTest, ErrorsSayWhichTerm) {
  std::vector<std::string> terms = {"metrics.acc DESC", "params.lr sideways"};
  absl::Status st = ParseOrderBy(terms).status();
  EXPECT_TRUE(IsQueryError(st, "ORDER_BY_SYNTAX", 11));
  EXPECT_THAT(st.message(), HasSubstr("invalid order_by[1] at position 11"));
  EXPECT_EQ(GetErrorDetail(st)->value, "params.lr sideways");
}

TEST(ParseOrderByTest, DuplicateKeysAreRejected) {
  std::vector<std::string> terms = {"metrics.acc DESC", "params.lr",
                                    "metric.`acc` ASC"};
  absl::Status st = ParseOrderBy(terms).status();
  EXPECT_TRUE(IsQueryError(st, "ORDER_BY_SYNTAX", 1));
  EXPECT_THAT(st.message(), HasSubstr("order_by[2]"));
  EXPECT_THAT(st.message(), HasSubstr("order_by[0]"));
  // The same key of different kinds is not a duplicate.
  std::vector<std::string> distinct = {"metrics.x", "params.x", "tags.x"};
  EXPECT_TRUE(ParseOrderBy(distinct).ok());
  // Attribute aliases are the same attribute.
  std::vector<std::string> alias = {"attributes.created", "run.start_time"};
  EXPECT_TRUE(IsQueryError(ParseOrderBy(alias).status(), "ORDER_BY_SYNTAX", 1));
}

TEST(ParseOrderByTest, TooManyTerms) {
  std::vector<std::string> terms;
  for (size_t i = 0; i < kMaxOrderByTerms; ++i) {
    terms.push_back("tags.t" + std::to_string(i));
  }
  EXPECT_TRUE(ParseOrderBy(terms).ok());
  terms.push_back("tags.one_more");
  EXPECT_TRUE(IsQueryError(ParseOrderBy(terms).status(), "ORDER_BY_TOO_COMPLEX", 1));
}

}  // namespace
}  // namespace slipway::internal_query
