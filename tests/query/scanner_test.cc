#include "src/query/scanner.h"

#include <string>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "slipway/status.h"

namespace slipway::internal_query {
namespace {

using ::testing::EndsWith;
using ::testing::HasSubstr;

const Grammar& TestGrammar() {
  static const Grammar* const g = new Grammar{
      "filter", "FILTER_SYNTAX", "FILTER_UNKNOWN_ATTRIBUTE",
      "the rule", "a valid filter: metrics.acc > 0.9"};
  return *g;
}

// The message line holding the caret, and the line above it.
std::pair<std::string, std::string> ShownAndCaret(const absl::Status& st) {
  const std::string m(st.message());
  const size_t caret = m.find("^\n");
  const size_t caret_line = m.rfind('\n', caret) + 1;
  const size_t shown_line = m.rfind('\n', caret_line - 2) + 1;
  return {m.substr(shown_line, caret_line - 1 - shown_line),
          m.substr(caret_line, caret + 1 - caret_line)};
}

TEST(CharPositionTest, CountsCodePointsFromOne) {
  EXPECT_EQ(CharPosition("abc", 0), 1u);
  EXPECT_EQ(CharPosition("abc", 2), 3u);
  EXPECT_EQ(CharPosition("abc", 3), 4u);  // the end
  // "é" is two bytes but one character.
  EXPECT_EQ(CharPosition("\xc3\xa9x", 2), 2u);
  // An ill-formed byte counts as one character.
  EXPECT_EQ(CharPosition("\xff\xffx", 2), 3u);
}

TEST(SyntaxErrorTest, NamesPositionShowsCaretExampleAndDetail) {
  const std::string text = "metrics.acc ~ 0.9";
  absl::Status st = SyntaxError(TestGrammar(), "FILTER_SYNTAX", text, 12,
                                "expected an operator", "use >");
  EXPECT_EQ(st.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(st.message(), HasSubstr("invalid filter at position 13: "
                                      "expected an operator."));
  EXPECT_THAT(std::string(st.message()),
              EndsWith("Fix: use >.\nExample of a valid filter: metrics.acc > 0.9"));
  auto [shown, caret] = ShownAndCaret(st);
  EXPECT_EQ(shown, "  metrics.acc ~ 0.9");
  EXPECT_EQ(caret, "              ^");
  EXPECT_EQ(shown[caret.size() - 1], '~');
  std::optional<ErrorDetail> d = GetErrorDetail(st);
  ASSERT_TRUE(d.has_value());
  EXPECT_EQ(d->reason, "FILTER_SYNTAX");
  EXPECT_EQ(d->rule, "the rule");
  EXPECT_EQ(d->value, text);
  EXPECT_EQ(d->fix, "use >. Example of a valid filter: metrics.acc > 0.9");
}

TEST(SyntaxErrorTest, CaretAtTheEndPointsPastTheText) {
  absl::Status st =
      SyntaxError(TestGrammar(), "FILTER_SYNTAX", "metrics.a >", 11, "p", "f");
  EXPECT_THAT(st.message(), HasSubstr("at position 12:"));
  auto [shown, caret] = ShownAndCaret(st);
  EXPECT_EQ(caret.size(), shown.size() + 1);
}

TEST(SyntaxErrorTest, LongTextIsWindowedAroundThePosition) {
  std::string text(5000, 'a');
  text[3000] = '~';
  absl::Status st = SyntaxError(TestGrammar(), "FILTER_SYNTAX", text, 3000,
                                "p", "f");
  EXPECT_THAT(st.message(), HasSubstr("at position 3001:"));
  EXPECT_LT(st.message().size(), 400u);
  auto [shown, caret] = ShownAndCaret(st);
  EXPECT_THAT(shown, HasSubstr("..."));
  EXPECT_EQ(shown[caret.size() - 1], '~');
  // The detail keeps the whole text.
  EXPECT_EQ(GetErrorDetail(st)->value, text);
}

TEST(SyntaxErrorTest, ControlCharactersAreShownAsSpacesKeepingTheCaretAligned) {
  const std::string text = "a\tb\nc\x01~";
  absl::Status st = SyntaxError(TestGrammar(), "FILTER_SYNTAX", text, 6, "p", "f");
  auto [shown, caret] = ShownAndCaret(st);
  EXPECT_EQ(shown, "  a b c ~");
  EXPECT_EQ(shown[caret.size() - 1], '~');
  for (char c : std::string(st.message())) {
    if (c != '\n') EXPECT_FALSE(static_cast<unsigned char>(c) < 0x20) << int(c);
  }
}

TEST(DescribeAtTest, SaysWhatIsThere) {
  EXPECT_EQ(DescribeAt("ab", 2, "filter"), "the end of the filter");
  EXPECT_EQ(DescribeAt("x ~", 2, "filter"), "'~'");
  EXPECT_EQ(DescribeAt("x DROP TABLE", 2, "filter"), "'DROP'");
  EXPECT_EQ(DescribeAt("x\x01", 1, "filter"), "a control character (\\x01)");
  EXPECT_EQ(DescribeAt("\xc3\xa9", 0, "filter"), "the non-ASCII character U+00E9");
  EXPECT_EQ(DescribeAt("\xff", 0, "filter"), "the byte 0xFF");
}

TEST(ForMessageTest, EscapesControlsAndCutsLongText) {
  EXPECT_EQ(ForMessage("plain `key`"), "plain `key`");
  EXPECT_EQ(ForMessage(std::string("a\0b\x7f", 4)), "a\\x00b\\x7F");
  EXPECT_EQ(ForMessage("\xc2\x85"), "\\u0085");  // C1 NEXT LINE
  EXPECT_EQ(ForMessage("caf\xc3\xa9"), "caf\xc3\xa9");
  EXPECT_EQ(ForMessage("\xff"), "\\xFF");
  EXPECT_EQ(ForMessage(std::string(100, 'k'), 10), std::string(10, 'k') + "...");
  // Never cuts inside a character.
  EXPECT_EQ(ForMessage("\xc3\xa9\xc3\xa9\xc3\xa9", 3), "\xc3\xa9\xc3\xa9...");
}

TEST(ScannerTest, KeywordsAreCaseInsensitiveWholeWords) {
  Scanner s("AnD and_x Or");
  EXPECT_TRUE(s.PeekKeyword("and"));
  EXPECT_TRUE(s.ConsumeKeyword("and"));
  s.SkipSpace();
  EXPECT_FALSE(s.PeekKeyword("and"));  // "and_x" is a word, not the keyword
  EXPECT_EQ(s.ReadWord(), "and_x");
  s.SkipSpace();
  EXPECT_TRUE(s.ConsumeKeyword("or"));
  EXPECT_TRUE(s.AtEnd());
}

TEST(ReadQuotedTest, DoubledQuoteIsOneQuoteBackslashIsLiteral) {
  std::string out;
  Scanner s(R"('it''s a\n' rest)");
  ASSERT_TRUE(ReadQuoted(s, &out));
  EXPECT_EQ(out, R"(it's a\n)");
  EXPECT_EQ(s.offset(), 11u);

  Scanner b("`a``b`");
  ASSERT_TRUE(ReadQuoted(b, &out));
  EXPECT_EQ(out, "a`b");
  EXPECT_TRUE(b.AtEnd());

  Scanner backslash(R"('a\' x)");
  ASSERT_TRUE(ReadQuoted(backslash, &out));
  EXPECT_EQ(out, "a\\");

  Scanner empty("''");
  ASSERT_TRUE(ReadQuoted(empty, &out));
  EXPECT_EQ(out, "");
}

TEST(ReadQuotedTest, UnterminatedLeavesTheCursor) {
  std::string out;
  // With backslash a literal, 'a\'' is "a\'" still waiting for its close.
  for (const char* text : {"'abc", "'", "'it''", R"('a\'')"}) {
    Scanner s(text);
    EXPECT_FALSE(ReadQuoted(s, &out)) << text;
    EXPECT_EQ(s.offset(), 0u);
  }
}

TEST(AppendQuotedTest, RoundTripsThroughReadQuoted) {
  for (std::string v : {"", "plain", "it's", "''", "a\\b", "`x`", "\"q\""}) {
    for (char q : {'\'', '"', '`'}) {
      std::string quoted;
      AppendQuoted(&quoted, v, q);
      Scanner s(quoted);
      std::string back;
      ASSERT_TRUE(ReadQuoted(s, &back)) << quoted;
      EXPECT_EQ(back, v);
      EXPECT_TRUE(s.AtEnd());
    }
  }
}

}  // namespace
}  // namespace slipway::internal_query
