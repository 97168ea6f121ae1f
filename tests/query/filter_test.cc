#include "src/query/filter.h"

#include <cmath>
#include <limits>
#include <string>
#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "slipway/status.h"
#include "tests/query/error_matchers.h"

namespace slipway::internal_query {
namespace {

using ::testing::HasSubstr;

Filter MustParse(std::string_view text) {
  absl::StatusOr<Filter> f = ParseFilter(text);
  EXPECT_TRUE(f.ok()) << "filter: " << text << "\n" << f.status();
  return f.ok() ? *std::move(f) : Filter{};
}

std::string Canonical(std::string_view text) {
  absl::StatusOr<Filter> f = ParseFilter(text);
  if (!f.ok()) return "ERROR: " + std::string(f.status().message());
  return ToString(*f);
}

const Comparison& OnlyComparison(const Filter& f) {
  static const Comparison kNone;
  if (!f.expr.has_value() || !std::holds_alternative<Comparison>(f.expr->node)) {
    ADD_FAILURE() << "not a single comparison: " << ToString(f);
    return kNone;
  }
  return std::get<Comparison>(f.expr->node);
}

// ---------------------------------------------------------------------------
// Valid filters.

TEST(ParseFilterTest, EmptyOrBlankMatchesEveryRun) {
  for (const char* text : {"", " ", " \t\r\n "}) {
    Filter f = MustParse(text);
    EXPECT_FALSE(f.expr.has_value()) << text;
    EXPECT_EQ(ToString(f), "");
  }
}

TEST(ParseFilterTest, MetricComparisons) {
  Filter f = MustParse("metrics.acc > 0.9");
  const Comparison& c = OnlyComparison(f);
  EXPECT_EQ(c.entity.kind, EntityKind::kMetric);
  EXPECT_EQ(c.entity.key, "acc");
  EXPECT_EQ(c.op, CompareOp::kGt);
  EXPECT_EQ(std::get<double>(c.value), 0.9);
  struct Case {
    const char* text;
    CompareOp op;
  } ops[] = {{"metrics.a = 1", CompareOp::kEq},  {"metrics.a != 1", CompareOp::kNe},
             {"metrics.a < 1", CompareOp::kLt},  {"metrics.a <= 1", CompareOp::kLe},
             {"metrics.a > 1", CompareOp::kGt},  {"metrics.a >= 1", CompareOp::kGe},
             {"metrics.a>=1", CompareOp::kGe}};
  for (const Case& k : ops) {
    EXPECT_EQ(OnlyComparison(MustParse(k.text)).op, k.op) << k.text;
    EXPECT_EQ(Canonical(k.text),
              std::string("metrics.a ") + std::string(ToString(k.op)) + " 1");
  }
}

TEST(ParseFilterTest, NumberForms) {
  struct Case {
    const char* text;
    double value;
    const char* canonical;
  } cases[] = {
      {"1", 1, "1"},
      {"-1", -1, "-1"},
      {"+1", 1, "1"},
      {"1.5", 1.5, "1.5"},
      {".5", 0.5, "0.5"},
      {"5.", 5, "5"},
      {"1e3", 1000, "1000"},
      {"1E-3", 0.001, "0.001"},
      {"-2.5e+2", -250, "-250"},
      {"0", 0, "0"},
      {"00012", 12, "12"},
      {"1700000000000", 1700000000000.0, "1700000000000"},
      {"1e20", 1e20, "1e+20"},
      {"1.7976931348623157e308", std::numeric_limits<double>::max(),
       "1.7976931348623157e+308"},
      {"5e-324", std::numeric_limits<double>::denorm_min(), "5e-324"},
      {"0.1", 0.1, "0.1"},
  };
  for (const Case& c : cases) {
    const std::string text = std::string("metrics.m = ") + c.text;
    Filter f = MustParse(text);
    EXPECT_EQ(std::get<double>(OnlyComparison(f).value), c.value) << text;
    EXPECT_EQ(ToString(f), std::string("metrics.m = ") + c.canonical) << text;
  }
  // -0 keeps its sign through the round trip.
  Filter neg_zero = MustParse("metrics.m = -0");
  EXPECT_TRUE(std::signbit(std::get<double>(OnlyComparison(neg_zero).value)));
  EXPECT_EQ(ToString(neg_zero), "metrics.m = -0");
}

TEST(ParseFilterTest, StringComparisonsOnParamsAndTags) {
  Filter f = MustParse("params.optimizer = 'adam'");
  const Comparison& c = OnlyComparison(f);
  EXPECT_EQ(c.entity.kind, EntityKind::kParam);
  EXPECT_EQ(c.entity.key, "optimizer");
  EXPECT_EQ(std::get<std::string>(c.value), "adam");

  EXPECT_EQ(Canonical("params.x = \"adam\""), "params.x = 'adam'");
  EXPECT_EQ(Canonical("tags.x != 'a'"), "tags.x != 'a'");
  EXPECT_EQ(Canonical("tags.x LIKE 'ab%'"), "tags.x LIKE 'ab%'");
  EXPECT_EQ(Canonical("tags.x ILIKE '%A_'"), "tags.x ILIKE '%A_'");
  EXPECT_EQ(Canonical("params.lr = '0.01'"), "params.lr = '0.01'");
  EXPECT_EQ(Canonical("params.x = ''"), "params.x = ''");
}

TEST(ParseFilterTest, StringEscapingDoublesTheQuoteBackslashIsLiteral) {
  EXPECT_EQ(std::get<std::string>(OnlyComparison(MustParse("params.x = 'it''s'")).value),
            "it's");
  EXPECT_EQ(std::get<std::string>(
                OnlyComparison(MustParse(R"(params.x = "say ""hi""")")).value),
            "say \"hi\"");
  EXPECT_EQ(std::get<std::string>(
                OnlyComparison(MustParse(R"(params.path = 'C:\data\n')")).value),
            R"(C:\data\n)");
  EXPECT_EQ(std::get<std::string>(OnlyComparison(MustParse(R"(params.x = "it's")")).value),
            "it's");
  // Canonical text always uses single quotes.
  EXPECT_EQ(Canonical(R"(params.x = "it's")"), "params.x = 'it''s'");
  EXPECT_EQ(Canonical("params.x = 'caf\xc3\xa9'"), "params.x = 'caf\xc3\xa9'");
  EXPECT_EQ(Canonical("params.x = 'a\nb'"), "params.x = 'a\nb'");
}

TEST(ParseFilterTest, InAndNotInLists) {
  Filter f = MustParse("attributes.status IN ('FAILED', \"KILLED\")");
  const Comparison& c = OnlyComparison(f);
  EXPECT_EQ(c.entity.attribute, Attribute::kStatus);
  EXPECT_EQ(c.op, CompareOp::kIn);
  EXPECT_EQ(std::get<std::vector<std::string>>(c.value),
            (std::vector<std::string>{"FAILED", "KILLED"}));
  EXPECT_EQ(ToString(f), "attributes.status IN ('FAILED', 'KILLED')");
  EXPECT_EQ(Canonical("params.x not in ('a')"), "params.x NOT IN ('a')");
  EXPECT_EQ(Canonical("tags.x  NOT\n IN(  'a' ,'b''c' )"),
            "tags.x NOT IN ('a', 'b''c')");
  EXPECT_EQ(Canonical("attributes.run_id in ('a','a')"),
            "attributes.run_id IN ('a', 'a')");
}

TEST(ParseFilterTest, Attributes) {
  EXPECT_EQ(Canonical("attributes.status = 'FINISHED'"), "attributes.status = 'FINISHED'");
  EXPECT_EQ(Canonical("run.run_name LIKE 'sweep-%'"), "attributes.run_name LIKE 'sweep-%'");
  EXPECT_EQ(Canonical("attribute.run_id = 'abc'"), "attributes.run_id = 'abc'");
  EXPECT_EQ(Canonical("attr.user_id = 'ada'"), "attributes.user = 'ada'");
  EXPECT_EQ(Canonical("attributes.experiment_id IN ('1', '2')"),
            "attributes.experiment_id IN ('1', '2')");
  EXPECT_EQ(Canonical("attributes.start_time >= 1700000000000"),
            "attributes.start_time >= 1700000000000");
  EXPECT_EQ(Canonical("attributes.created < 5"), "attributes.start_time < 5");
  EXPECT_EQ(Canonical("attributes.end_time != 0"), "attributes.end_time != 0");
}

TEST(ParseFilterTest, QuotedKeys) {
  EXPECT_EQ(Canonical("metrics.`val loss` < 0.5"), "metrics.`val loss` < 0.5");
  EXPECT_EQ(Canonical("metrics.\"val loss\" < 0.5"), "metrics.`val loss` < 0.5");
  EXPECT_EQ(Canonical("metrics.'prediction accuracy' >= 0.945"),
            "metrics.`prediction accuracy` >= 0.945");
  EXPECT_EQ(Canonical("tags.\"mlflow.runName\" = 'x'"), "tags.mlflow.runName = 'x'");
  EXPECT_EQ(Canonical("params.`a``b` = 'x'"), "params.`a``b` = 'x'");
  EXPECT_EQ(Canonical("metrics.\"2019-04-02 error rate\" < 1"),
            "metrics.`2019-04-02 error rate` < 1");
}

TEST(ParseFilterTest, KeywordsAreCaseInsensitive) {
  const std::string want =
      "not tags.a LIKE 'x' and tags.b ILIKE 'y' or tags.c IN ('z') and "
      "tags.d NOT IN ('w')";
  EXPECT_EQ(Canonical("NOT tags.a like 'x' AND tags.b iLike 'y' OR tags.c In "
                      "('z') aNd tags.d Not In ('w')"),
            want);
  EXPECT_EQ(Canonical("not tags.a LIKE 'x' and tags.b ILIKE 'y' or tags.c in "
                      "('z') and tags.d not in ('w')"),
            want);
}

TEST(ParseFilterTest, SpacingIsFree) {
  EXPECT_EQ(Canonical("metrics.a>1 and(params.b='x'or not(tags.c='y'))"),
            "metrics.a > 1 and (params.b = 'x' or not tags.c = 'y')");
  EXPECT_EQ(Canonical("\n  metrics.a\t>\r\n1  "), "metrics.a > 1");
}

// ---------------------------------------------------------------------------
// Boolean structure.

TEST(ParseFilterTest, NotBindsTighterThanAndThanOr) {
  Filter f = MustParse("metrics.a > 1 or metrics.b > 2 and not metrics.c > 3");
  ASSERT_TRUE(f.expr.has_value());
  const Or& o = std::get<Or>(f.expr->node);
  ASSERT_EQ(o.children.size(), 2u);
  EXPECT_TRUE(std::holds_alternative<Comparison>(o.children[0].node));
  const And& a = std::get<And>(o.children[1].node);
  ASSERT_EQ(a.children.size(), 2u);
  const Not& n = std::get<Not>(a.children[1].node);
  EXPECT_EQ(std::get<Comparison>(n.operand->node).entity.key, "c");
}

TEST(ParseFilterTest, ChainsAreNary) {
  Filter f = MustParse("metrics.a > 1 and metrics.b > 2 and metrics.c > 3");
  EXPECT_EQ(std::get<And>(f.expr->node).children.size(), 3u);
  Filter g = MustParse("metrics.a > 1 or metrics.b > 2 or metrics.c > 3");
  EXPECT_EQ(std::get<Or>(g.expr->node).children.size(), 3u);
}

TEST(ParseFilterTest, ParenthesesGroupAndAreKeptInCanonicalText) {
  EXPECT_EQ(Canonical("(metrics.a > 1 or metrics.b > 2) and metrics.c > 3"),
            "(metrics.a > 1 or metrics.b > 2) and metrics.c > 3");
  EXPECT_EQ(Canonical("metrics.a > 1 and (metrics.b > 2 and metrics.c > 3)"),
            "metrics.a > 1 and (metrics.b > 2 and metrics.c > 3)");
  EXPECT_EQ(Canonical("metrics.a > 1 or (metrics.b > 2 or metrics.c > 3)"),
            "metrics.a > 1 or (metrics.b > 2 or metrics.c > 3)");
  // Parentheses precedence already implies are dropped.
  EXPECT_EQ(Canonical("metrics.a > 1 or (metrics.b > 2 and metrics.c > 3)"),
            "metrics.a > 1 or metrics.b > 2 and metrics.c > 3");
  EXPECT_EQ(Canonical("(((metrics.a > 1)))"), "metrics.a > 1");
  EXPECT_EQ(Canonical("not (metrics.a > 1 and metrics.b > 2)"),
            "not (metrics.a > 1 and metrics.b > 2)");
  EXPECT_EQ(Canonical("not not metrics.a > 1"), "not not metrics.a > 1");
  EXPECT_EQ(Canonical("not (not (metrics.a > 1))"), "not not metrics.a > 1");
}

TEST(ParseFilterTest, CanonicalTextRoundTrips) {
  const char* filters[] = {
      "metrics.acc > 0.9",
      "metrics.acc > 0.9 and params.optimizer = 'adam'",
      "NOT (params.a = 'x' OR tags.`b c` LIKE '%''%') AND metrics.`l/2` <= -1e-9",
      "(metrics.a > 1 or metrics.b > 2) and not (metrics.c < 3 or not tags.t IN ('a', 'b'))",
      "attributes.status NOT IN ('FAILED') or run.start_time > 1 and attr.end_time < 2",
      "((tags.x = \"\"))",
      "metrics.m = 0.30000000000000004",
      "params.s = 'multi\nline\ttext \xe2\x9c\x93'",
  };
  for (const char* text : filters) {
    Filter f = MustParse(text);
    const std::string canonical = ToString(f);
    absl::StatusOr<Filter> again = ParseFilter(canonical);
    ASSERT_TRUE(again.ok()) << canonical << "\n" << again.status();
    EXPECT_EQ(*again, f) << text << "\n-> " << canonical;
    EXPECT_EQ(ToString(*again), canonical);
  }
}

TEST(FilterAstTest, CopiesAreDeepAndCompareEqual) {
  Filter f = MustParse("not (metrics.a > 1 or not tags.b = 'x')");
  Filter copy = f;
  EXPECT_EQ(copy, f);
  Filter other = MustParse("not (metrics.a > 1 or not tags.b = 'y')");
  EXPECT_NE(other, f);
  copy = other;
  EXPECT_EQ(copy, other);
  EXPECT_EQ(ToString(f), "not (metrics.a > 1 or not tags.b = 'x')");
}

TEST(FilterAstTest, ComparisonsOfDifferentValueKindsDiffer) {
  EXPECT_NE(MustParse("attributes.start_time = 1"), MustParse("attributes.start_time = 2"));
  EXPECT_NE(MustParse("tags.a = 'x'"), MustParse("params.a = 'x'"));
  EXPECT_NE(MustParse("tags.a = 'x'"), MustParse("tags.a IN ('x')"));
}

// ---------------------------------------------------------------------------
// Errors: reason and the 1-based character position.

struct ErrorCase {
  const char* filter;
  const char* reason;
  size_t position;
};

TEST(ParseFilterErrorTest, ReasonAndPosition) {
  const ErrorCase cases[] = {
      // Entities.
      {"foo.x = 'a'", "FILTER_SYNTAX", 1},
      {"acc > 1", "FILTER_SYNTAX", 1},
      {"metrics. > 1", "FILTER_SYNTAX", 9},
      {"metrics.`a > 1", "FILTER_SYNTAX", 9},
      {"attributes.lifecycle_stage = 'x'", "FILTER_UNKNOWN_ATTRIBUTE", 12},
      {"metrics.a > 1 and attributes.nope = 'x'", "FILTER_UNKNOWN_ATTRIBUTE", 30},
      // Operators.
      {"metrics.a ~ 1", "FILTER_SYNTAX", 11},
      {"metrics.a", "FILTER_SYNTAX", 10},
      {"metrics.a == 1", "FILTER_SYNTAX", 11},
      {"metrics.a <> 1", "FILTER_SYNTAX", 11},
      {"metrics.a => 1", "FILTER_SYNTAX", 12},
      {"params.a not like 'x'", "FILTER_SYNTAX", 10},
      {"params.a not = 'x'", "FILTER_SYNTAX", 14},
      {"params.a is null", "FILTER_SYNTAX", 10},
      // Values.
      {"metrics.a >", "FILTER_SYNTAX", 12},
      {"params.a = adam", "FILTER_SYNTAX", 12},
      {"params.a = `adam`", "FILTER_SYNTAX", 12},
      {"params.a = 'adam", "FILTER_SYNTAX", 12},
      {"params.a = \"adam", "FILTER_SYNTAX", 12},
      {"params.a = 'it's'", "FILTER_SYNTAX", 16},
      {"metrics.a > 1.2.3", "FILTER_SYNTAX", 13},
      {"metrics.a > 1abc", "FILTER_SYNTAX", 13},
      {"metrics.a > 1e", "FILTER_SYNTAX", 13},
      {"metrics.a > -", "FILTER_SYNTAX", 13},
      {"metrics.a > .", "FILTER_SYNTAX", 13},
      {"metrics.a > 1e999", "FILTER_SYNTAX", 13},
      {"metrics.a > -1e999", "FILTER_SYNTAX", 13},
      {"metrics.a > 1e-999", "FILTER_SYNTAX", 13},
      {"metrics.a > ++1", "FILTER_SYNTAX", 13},
      {"params.a IN 'x'", "FILTER_SYNTAX", 13},
      {"params.a IN ()", "FILTER_SYNTAX", 14},
      {"params.a IN ('x',)", "FILTER_SYNTAX", 18},
      {"params.a IN ('x' 'y')", "FILTER_SYNTAX", 18},
      {"params.a IN ('x'", "FILTER_SYNTAX", 17},
      // Types.
      {"metrics.a = 'x'", "FILTER_TYPE", 13},
      {"metrics.a > \"0.9\"", "FILTER_TYPE", 13},
      {"metrics.a LIKE '%'", "FILTER_TYPE", 11},
      {"metrics.a IN ('1')", "FILTER_TYPE", 11},
      {"metrics.a > nan", "FILTER_TYPE", 13},
      {"metrics.a < Infinity", "FILTER_TYPE", 13},
      {"metrics.a < inf", "FILTER_TYPE", 13},
      {"params.a > 'x'", "FILTER_TYPE", 10},
      {"params.a = 1", "FILTER_TYPE", 12},
      {"params.a = -1", "FILTER_TYPE", 12},
      {"tags.a IN ('x', 2)", "FILTER_TYPE", 17},
      {"attributes.status < 'x'", "FILTER_TYPE", 19},
      {"attributes.start_time = 'yesterday'", "FILTER_TYPE", 25},
      {"attributes.end_time LIKE '1%'", "FILTER_TYPE", 21},
      {"attributes.experiment_id = 1", "FILTER_TYPE", 28},
      // Boolean structure.
      {"metrics.a > 1 and", "FILTER_SYNTAX", 18},
      {"metrics.a > 1 or", "FILTER_SYNTAX", 17},
      {"and metrics.a > 1", "FILTER_SYNTAX", 1},
      {"metrics.a > 1 metrics.b > 2", "FILTER_SYNTAX", 15},
      {"metrics.a > 1 and and metrics.b > 2", "FILTER_SYNTAX", 19},
      {"not", "FILTER_SYNTAX", 4},
      {"()", "FILTER_SYNTAX", 2},
      {"(metrics.a > 1", "FILTER_SYNTAX", 1},
      {"((metrics.a > 1)", "FILTER_SYNTAX", 1},
      {"metrics.a > 1)", "FILTER_SYNTAX", 14},
      {"(metrics.a > 1 metrics.b > 2)", "FILTER_SYNTAX", 16},
      {"metrics.a > 1 && metrics.b > 2", "FILTER_SYNTAX", 15},
      {"metrics.a > 1 || metrics.b > 2", "FILTER_SYNTAX", 15},
      {"metrics.a > 1 andmetrics.b > 2", "FILTER_SYNTAX", 15},
      // Positions count characters, not bytes.
      {"tags.`\xc3\xa9t\xc3\xa9` = 'caf\xc3\xa9' andd", "FILTER_SYNTAX", 21},
      {"params.a = 'x' \xe2\x80\x94", "FILTER_SYNTAX", 16},
      // Not UTF-8.
      {"params.a = '\xff'", "FILTER_SYNTAX", 13},
      {"params.a = 'x\xc3'", "FILTER_SYNTAX", 14},
  };
  for (const ErrorCase& c : cases) {
    absl::StatusOr<Filter> f = ParseFilter(c.filter);
    EXPECT_TRUE(IsQueryError(f.status(), c.reason, c.position))
        << "filter: " << c.filter;
  }
}

TEST(ParseFilterErrorTest, MessageShowsCaretExampleAndDetailKeepsTheFilter) {
  const std::string text = "metrics.acc ~ 0.9";
  absl::Status st = ParseFilter(text).status();
  EXPECT_THAT(st.message(), HasSubstr("position 13"));
  EXPECT_THAT(st.message(), HasSubstr("  metrics.acc ~ 0.9\n              ^\n"));
  EXPECT_THAT(st.message(), HasSubstr("Example of a valid filter: "));
  EXPECT_THAT(st.message(), HasSubstr("metrics.acc > 0.9"));
  std::optional<ErrorDetail> d = GetErrorDetail(st);
  ASSERT_TRUE(d.has_value());
  EXPECT_EQ(d->value, text);
  EXPECT_THAT(d->rule, HasSubstr("docs/search.md"));
  EXPECT_THAT(d->fix, HasSubstr("metrics.acc > 0.9"));
}

TEST(ParseFilterErrorTest, MessagesEscapeControlCharactersInKeys) {
  // Found by the fuzzer: a quoted key with NUL and newline bytes was copied
  // raw into the message.
  const std::string text("metrics.`a\0b\nc` LIKE 'x'", 24);
  absl::Status st = ParseFilter(text).status();
  EXPECT_TRUE(IsQueryError(st, "FILTER_TYPE", 17));
  EXPECT_THAT(st.message(), HasSubstr("metrics.`a\\x00b\\x0Ac`"));
  int newlines = 0;
  for (char c : std::string(st.message())) {
    EXPECT_FALSE(c != '\n' && static_cast<unsigned char>(c) < 0x20) << int(c);
    newlines += c == '\n';
  }
  EXPECT_EQ(newlines, 4);  // the caret layout only
  EXPECT_EQ(GetErrorDetail(st)->value, text);
}

TEST(ParseFilterErrorTest, TypeErrorsSayHowToWriteIt) {
  EXPECT_THAT(ParseFilter("metrics.acc = '0.9'").status().message(),
              HasSubstr("without quotes"));
  EXPECT_THAT(ParseFilter("params.lr = 0.01").status().message(),
              HasSubstr("quote the value"));
  EXPECT_THAT(ParseFilter("params.a not like 'x'").status().message(),
              HasSubstr("not params.a LIKE"));
}

// ---------------------------------------------------------------------------
// Injection attempts: syntax errors, or harmless values.

TEST(ParseFilterInjectionTest, SqlFragmentsAreSyntaxErrors) {
  const ErrorCase cases[] = {
      {"params.x = '1' or 1=1 --", "FILTER_SYNTAX", 19},
      {"params.x = '1' or '1'='1'", "FILTER_SYNTAX", 19},
      {"params.x = '1'; DROP TABLE run; --", "FILTER_SYNTAX", 15},
      {"params.x = '1' -- comment", "FILTER_SYNTAX", 16},
      {"params.x = '1' /* comment */", "FILTER_SYNTAX", 16},
      {"params.x = '1' # comment", "FILTER_SYNTAX", 16},
      {"params.x = '1' union select * from param", "FILTER_SYNTAX", 16},
      {"params.x = 1 or 1=1", "FILTER_TYPE", 12},
      {"params.x = '1'' or ''1''=''1", "FILTER_SYNTAX", 12},
      {"params.`x = '1'", "FILTER_SYNTAX", 8},
      {"params.x = (select value from param)", "FILTER_SYNTAX", 12},
      {"metrics.a > 1; ATTACH DATABASE '/tmp/x' AS y", "FILTER_SYNTAX", 14},
  };
  for (const ErrorCase& c : cases) {
    absl::StatusOr<Filter> f = ParseFilter(c.filter);
    EXPECT_TRUE(IsQueryError(f.status(), c.reason, c.position))
        << "filter: " << c.filter;
  }
  // An embedded NUL does not end the filter early.
  const std::string nul("params.x = '1' \0 or 1=1", 23);
  EXPECT_TRUE(IsQueryError(ParseFilter(nul).status(), "FILTER_SYNTAX", 16));
}

TEST(ParseFilterInjectionTest, QuotedSqlStaysAValue) {
  Filter f = MustParse("params.x = '1'' or ''1''=''1'");
  EXPECT_EQ(std::get<std::string>(OnlyComparison(f).value), "1' or '1'='1");
  Filter g = MustParse("params.x = '1; DROP TABLE run; --'");
  EXPECT_EQ(std::get<std::string>(OnlyComparison(g).value), "1; DROP TABLE run; --");
  Filter h = MustParse("tags.`x; DROP TABLE run; --` = 'y'");
  EXPECT_EQ(OnlyComparison(h).entity.key, "x; DROP TABLE run; --");
  // The canonical text quotes them again, so they stay values.
  EXPECT_EQ(ParseFilter(ToString(f)).value(), f);
  EXPECT_EQ(ParseFilter(ToString(h)).value(), h);
}

// ---------------------------------------------------------------------------
// Limits.

std::string Nested(size_t depth) {
  return std::string(depth, '(') + "metrics.a > 1" + std::string(depth, ')');
}

TEST(ParseFilterLimitTest, NestingUpToTheLimitParses) {
  EXPECT_EQ(Canonical(Nested(100)), "metrics.a > 1");
  std::string nots;
  for (int i = 0; i < 100; ++i) nots += "not ";
  EXPECT_TRUE(ParseFilter(nots + "metrics.a > 1").ok());
}

TEST(ParseFilterLimitTest, DeeperNestingIsACleanError) {
  EXPECT_TRUE(IsQueryError(ParseFilter(Nested(101)).status(),
                           "FILTER_TOO_COMPLEX", 101));
  // Far deeper input must not overflow the stack.
  EXPECT_TRUE(IsQueryError(ParseFilter(Nested(4000)).status(),
                           "FILTER_TOO_COMPLEX", 101));
  EXPECT_TRUE(IsQueryError(ParseFilter(std::string(10'000, '(')).status(),
                           "FILTER_TOO_COMPLEX", 101));
  std::string nots;
  for (int i = 0; i < 2000; ++i) nots += "not ";
  EXPECT_TRUE(IsQueryError(ParseFilter(nots + "metrics.a > 1").status(),
                           "FILTER_TOO_COMPLEX", 401));
  // Parentheses and not count together.
  std::string mixed;
  for (int i = 0; i < 60; ++i) mixed += "not (";
  EXPECT_TRUE(IsQueryError(ParseFilter(mixed).status(), "FILTER_TOO_COMPLEX", 251));
}

TEST(ParseFilterLimitTest, Length) {
  std::string ok = "metrics.a > 1" + std::string(10'000 - 13, ' ');
  EXPECT_TRUE(ParseFilter(ok).ok());
  EXPECT_TRUE(IsQueryError(ParseFilter(ok + " ").status(), "FILTER_TOO_COMPLEX",
                           10'001));
  // Characters, not bytes: 10,000 two-byte characters fit.
  std::string wide = "params.a = '";
  while (wide.size() < 12 + 2 * (10'000 - 13)) wide += "\xc3\xa9";
  wide += "'";
  EXPECT_TRUE(ParseFilter(wide).ok());
  EXPECT_TRUE(IsQueryError(ParseFilter(std::string(1'000'000, ' ')).status(),
                           "FILTER_TOO_COMPLEX", 10'001));
}

TEST(ParseFilterLimitTest, Comparisons) {
  // The most comparisons the default length allows parse.
  std::string many = "tag.a=''";
  for (int i = 1; i < 909; ++i) many += "or tag.a=''";
  ASSERT_LE(many.size(), 10'000u);
  EXPECT_TRUE(ParseFilter(many).ok());

  FilterLimits limits;
  limits.max_comparisons = 3;
  EXPECT_TRUE(ParseFilter("metrics.a > 1 and metrics.b > 2 or metrics.c > 3",
                          limits).ok());
  EXPECT_TRUE(IsQueryError(
      ParseFilter("metrics.a > 1 and metrics.b > 2 or metrics.c > 3 or "
                  "metrics.d > 4",
                  limits).status(),
      "FILTER_TOO_COMPLEX", 53));
}

TEST(ParseFilterLimitTest, LimitsAreConfigurable) {
  FilterLimits limits;
  limits.max_length = 10;
  limits.max_depth = 1;
  EXPECT_TRUE(IsQueryError(ParseFilter("metrics.a > 1", limits).status(),
                           "FILTER_TOO_COMPLEX", 11));
  limits.max_length = 100;
  EXPECT_TRUE(ParseFilter("(metrics.a > 1)", limits).ok());
  EXPECT_TRUE(IsQueryError(ParseFilter("((metrics.a > 1))", limits).status(),
                           "FILTER_TOO_COMPLEX", 2));
}

}  // namespace
}  // namespace slipway::internal_query
