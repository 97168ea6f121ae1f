#include "src/query/filter.h"

#include <charconv>
#include <cmath>
#include <string>
#include <system_error>
#include <utility>

#include "slipway/status.h"
#include "src/errors/strings.h"
#include "src/errors/utf8.h"
#include "src/query/scanner.h"

namespace slipway::internal_query {

using ::slipway::internal_strings::Append;
using ::slipway::internal_strings::Cat;

// ---------------------------------------------------------------------------
// AST plumbing.

Not::Not(Expr operand) : operand(std::make_unique<Expr>(std::move(operand))) {}
Not::Not(const Not& other)
    : operand(other.operand ? std::make_unique<Expr>(*other.operand) : nullptr) {}
Not& Not::operator=(const Not& other) {
  if (this != &other) {
    operand = other.operand ? std::make_unique<Expr>(*other.operand) : nullptr;
  }
  return *this;
}
Not::~Not() = default;

bool operator==(const And& a, const And& b) { return a.children == b.children; }
bool operator==(const Or& a, const Or& b) { return a.children == b.children; }
bool operator==(const Not& a, const Not& b) {
  if (!a.operand || !b.operand) return !a.operand && !b.operand;
  return *a.operand == *b.operand;
}

std::string_view ToString(CompareOp op) {
  switch (op) {
    case CompareOp::kEq: return "=";
    case CompareOp::kNe: return "!=";
    case CompareOp::kLt: return "<";
    case CompareOp::kLe: return "<=";
    case CompareOp::kGt: return ">";
    case CompareOp::kGe: return ">=";
    case CompareOp::kLike: return "LIKE";
    case CompareOp::kILike: return "ILIKE";
    case CompareOp::kIn: return "IN";
    case CompareOp::kNotIn: return "NOT IN";
  }
  return "?";
}

// ---------------------------------------------------------------------------
// Canonical text.

namespace {

void AppendNumber(std::string* out, double v) {
  char buf[64];
  // Whole numbers below 2^53 (millisecond timestamps, counts) as plain
  // digits; everything else in the shortest text that reads back as exactly
  // `v` (which may use an exponent: 1e+20, 5e-324).
  const bool plain = v == std::trunc(v) && std::fabs(v) < 9007199254740992.0;
  const std::to_chars_result r =
      plain ? std::to_chars(buf, buf + sizeof buf, v, std::chars_format::fixed)
            : std::to_chars(buf, buf + sizeof buf, v);
  out->append(buf, r.ptr);
}

void AppendExpr(std::string* out, const Expr& expr);

bool IsCompound(const Expr& e) {
  return std::holds_alternative<And>(e.node) || std::holds_alternative<Or>(e.node);
}

// Children of And and Or that are themselves And or Or are parenthesised,
// except an And inside an Or, which precedence already groups.
void AppendJoined(std::string* out, const std::vector<Expr>& children,
                  std::string_view keyword, bool is_or) {
  bool first = true;
  for (const Expr& child : children) {
    if (!first) Append(out, " ", keyword, " ");
    first = false;
    const bool parens =
        std::holds_alternative<Or>(child.node) ||
        (std::holds_alternative<And>(child.node) && !is_or);
    if (parens) *out += '(';
    AppendExpr(out, child);
    if (parens) *out += ')';
  }
}

void AppendComparison(std::string* out, const Comparison& c) {
  AppendEntity(out, c.entity);
  Append(out, " ", ToString(c.op), " ");
  if (const double* d = std::get_if<double>(&c.value)) {
    AppendNumber(out, *d);
  } else if (const std::string* s = std::get_if<std::string>(&c.value)) {
    AppendQuoted(out, *s, '\'');
  } else {
    const auto& list = std::get<std::vector<std::string>>(c.value);
    *out += '(';
    for (size_t i = 0; i < list.size(); ++i) {
      if (i > 0) *out += ", ";
      AppendQuoted(out, list[i], '\'');
    }
    *out += ')';
  }
}

void AppendExpr(std::string* out, const Expr& expr) {
  if (const auto* c = std::get_if<Comparison>(&expr.node)) {
    AppendComparison(out, *c);
  } else if (const auto* a = std::get_if<And>(&expr.node)) {
    AppendJoined(out, a->children, "and", /*is_or=*/false);
  } else if (const auto* o = std::get_if<Or>(&expr.node)) {
    AppendJoined(out, o->children, "or", /*is_or=*/true);
  } else {
    const Not& n = std::get<Not>(expr.node);
    out->append("not ");
    if (n.operand == nullptr) return;
    const bool parens = IsCompound(*n.operand);
    if (parens) *out += '(';
    AppendExpr(out, *n.operand);
    if (parens) *out += ')';
  }
}

}  // namespace

std::string ToString(const Comparison& comparison) {
  std::string out;
  AppendComparison(&out, comparison);
  return out;
}

std::string ToString(const Expr& expr) {
  std::string out;
  AppendExpr(&out, expr);
  return out;
}

std::string ToString(const Filter& filter) {
  return filter.expr.has_value() ? ToString(*filter.expr) : std::string();
}

// ---------------------------------------------------------------------------
// Parsing.

namespace {

constexpr std::string_view kSyntax = "FILTER_SYNTAX";
constexpr std::string_view kType = "FILTER_TYPE";
constexpr std::string_view kUnknownAttribute = "FILTER_UNKNOWN_ATTRIBUTE";
constexpr std::string_view kTooComplex = "FILTER_TOO_COMPLEX";

const Grammar& FilterGrammar() {
  static const Grammar* const grammar = new Grammar{
      "filter",
      kSyntax,
      kUnknownAttribute,
      "search filter grammar (docs/search.md): comparisons `entity op value` "
      "joined by and, or, not and parentheses",
      "a valid filter: metrics.acc > 0.9 and (params.optimizer = 'adam' or "
      "tags.`team name` LIKE 'vision%')"};
  return *grammar;
}

class Parser {
 public:
  Parser(std::string_view text, const FilterLimits& limits)
      : s_(text), limits_(limits) {}

  absl::StatusOr<Filter> Parse() {
    if (absl::Status st = CheckText(); !st.ok()) return st;
    Filter filter;
    s_.SkipSpace();
    if (s_.AtEnd()) return filter;
    absl::StatusOr<Expr> expr = ParseOr();
    if (!expr.ok()) return expr.status();
    s_.SkipSpace();
    if (!s_.AtEnd()) {
      if (s_.Peek() == ')') {
        return Error(kSyntax, s_.offset(), "this ')' has no matching '('",
                     "remove it or add the '(' it closes");
      }
      return Error(kSyntax, s_.offset(),
                   Cat("expected 'and', 'or' or the end of the filter after a "
                       "complete comparison, found ",
                       Found()),
                   "join comparisons with and / or; ';', comments ('--', "
                       "'/*') and SQL are not part of the filter");
    }
    filter.expr = *std::move(expr);
    return filter;
  }

 private:
  absl::Status Error(std::string_view reason, size_t offset,
                     std::string_view problem, std::string_view fix) {
    return SyntaxError(FilterGrammar(), reason, s_.text(), offset, problem, fix);
  }

  std::string Found() { return DescribeAt(s_.text(), s_.offset(), "filter"); }

  // Length limit and UTF-8, before any parsing.
  absl::Status CheckText() {
    const std::string_view text = s_.text();
    size_t chars = 0;
    size_t i = 0;
    while (i < text.size()) {
      if (chars == limits_.max_length) {
        return Error(kTooComplex, i,
                     Cat("the filter is longer than ", limits_.max_length,
                         " characters"),
                     "split the search into several smaller ones");
      }
      const size_t len = internal_utf8::SequenceLength(text, i);
      if (len == 0) {
        return Error(kSyntax, i, Cat(DescribeAt(text, i, "filter"),
                                     " is not valid UTF-8"),
                     "send the filter as UTF-8 text");
      }
      i += len;
      ++chars;
    }
    return absl::OkStatus();
  }

  absl::Status Enter(size_t offset) {
    if (++depth_ > limits_.max_depth) {
      return Error(kTooComplex, offset,
                   Cat("parentheses and 'not' are nested more than ",
                       limits_.max_depth, " deep"),
                   "flatten the filter");
    }
    return absl::OkStatus();
  }

  absl::StatusOr<Expr> ParseOr() {
    absl::StatusOr<Expr> first = ParseAnd();
    if (!first.ok()) return first;
    s_.SkipSpace();
    if (!s_.PeekKeyword("or")) return first;
    Or node;
    node.children.push_back(*std::move(first));
    while (true) {
      s_.SkipSpace();
      if (!s_.ConsumeKeyword("or")) break;
      absl::StatusOr<Expr> next = ParseAnd();
      if (!next.ok()) return next;
      node.children.push_back(*std::move(next));
    }
    return Expr{std::move(node)};
  }

  absl::StatusOr<Expr> ParseAnd() {
    absl::StatusOr<Expr> first = ParseUnary();
    if (!first.ok()) return first;
    s_.SkipSpace();
    if (!s_.PeekKeyword("and")) return first;
    And node;
    node.children.push_back(*std::move(first));
    while (true) {
      s_.SkipSpace();
      if (!s_.ConsumeKeyword("and")) break;
      absl::StatusOr<Expr> next = ParseUnary();
      if (!next.ok()) return next;
      node.children.push_back(*std::move(next));
    }
    return Expr{std::move(node)};
  }

  absl::StatusOr<Expr> ParseUnary() {
    s_.SkipSpace();
    const size_t start = s_.offset();
    if (s_.ConsumeKeyword("not")) {
      if (absl::Status st = Enter(start); !st.ok()) return st;
      absl::StatusOr<Expr> operand = ParseUnary();
      if (!operand.ok()) return operand;
      --depth_;
      return Expr{Not(*std::move(operand))};
    }
    if (s_.Peek() == '(') {
      if (absl::Status st = Enter(start); !st.ok()) return st;
      s_.Advance();
      s_.SkipSpace();
      if (s_.Peek() == ')') {
        return Error(kSyntax, s_.offset(), "empty parentheses",
                     "put a comparison inside the parentheses");
      }
      absl::StatusOr<Expr> inner = ParseOr();
      if (!inner.ok()) return inner;
      s_.SkipSpace();
      if (s_.Peek() != ')') {
        if (s_.AtEnd()) {
          return Error(kSyntax, start, "this '(' is never closed",
                       "add the missing ')'");
        }
        return Error(kSyntax, s_.offset(),
                     Cat("expected 'and', 'or' or ')', found ", Found()),
                     "join comparisons with and / or and close every '('");
      }
      s_.Advance();
      --depth_;
      return inner;
    }
    absl::StatusOr<Comparison> c = ParseComparison();
    if (!c.ok()) return c.status();
    return Expr{*std::move(c)};
  }

  absl::StatusOr<Comparison> ParseComparison() {
    const size_t start = s_.offset();
    if (s_.AtEnd()) {
      return Error(kSyntax, start, "expected a comparison, found the end of "
                                   "the filter",
                   "complete the filter or remove the trailing keyword");
    }
    if (++comparisons_ > limits_.max_comparisons) {
      return Error(kTooComplex, start,
                   Cat("the filter has more than ", limits_.max_comparisons,
                       " comparisons"),
                   "use IN ('a', 'b', ...) for many values of one key, or "
                   "split the search");
    }
    Comparison c;
    absl::StatusOr<EntityRef> entity = ParseEntity(s_, FilterGrammar());
    if (!entity.ok()) return entity.status();
    c.entity = *std::move(entity);
    s_.SkipSpace();
    const size_t op_offset = s_.offset();
    absl::StatusOr<CompareOp> op = ParseOp(c.entity);
    if (!op.ok()) return op.status();
    c.op = *op;
    if (absl::Status st = CheckOp(c.entity, c.op, op_offset); !st.ok()) return st;
    s_.SkipSpace();
    absl::StatusOr<Value> value = ParseValue(c.entity, c.op);
    if (!value.ok()) return value.status();
    c.value = *std::move(value);
    return c;
  }

  // The entity as messages show it: canonical, but with control
  // characters escaped and long keys cut.
  std::string EntityText(const EntityRef& e) {
    std::string out;
    AppendEntity(&out, e);
    return ForMessage(out);
  }

  // An example comparison for `e`, for fixes.
  std::string ExampleFor(const EntityRef& e) {
    std::string out = EntityText(e);
    if (IsNumeric(e.kind, e.attribute)) {
      out += e.kind == EntityKind::kMetric ? " > 0.9" : " >= 1700000000000";
    } else if (e.attribute == Attribute::kStatus) {
      out += " = 'FINISHED'";
    } else {
      out += " = 'value'";
    }
    return out;
  }

  absl::StatusOr<CompareOp> ParseOp(const EntityRef& e) {
    const size_t at = s_.offset();
    const char c0 = s_.Peek();
    const char c1 = s_.Peek(1);
    auto op = [&](CompareOp o, size_t n) -> absl::StatusOr<CompareOp> {
      s_.Advance(n);
      return o;
    };
    if (c0 == '!' && c1 == '=') return op(CompareOp::kNe, 2);
    if (c0 == '<' && c1 == '=') return op(CompareOp::kLe, 2);
    if (c0 == '>' && c1 == '=') return op(CompareOp::kGe, 2);
    if (c0 == '<' && c1 == '>') {
      return Error(kSyntax, at, "'<>' is not an operator here",
                   Cat("use != instead: ", EntityText(e), " != ..."));
    }
    if (c0 == '=' && c1 == '=') {
      return Error(kSyntax, at, "'==' is not an operator here",
                   Cat("use a single '=': ", ExampleFor(e)));
    }
    if (c0 == '=') return op(CompareOp::kEq, 1);
    if (c0 == '<') return op(CompareOp::kLt, 1);
    if (c0 == '>') return op(CompareOp::kGt, 1);
    if (s_.ConsumeKeyword("like")) return CompareOp::kLike;
    if (s_.ConsumeKeyword("ilike")) return CompareOp::kILike;
    if (s_.ConsumeKeyword("in")) return CompareOp::kIn;
    if (s_.PeekKeyword("not")) {
      s_.ConsumeKeyword("not");
      s_.SkipSpace();
      if (s_.ConsumeKeyword("in")) return CompareOp::kNotIn;
      if (s_.PeekKeyword("like") || s_.PeekKeyword("ilike")) {
        return Error(kSyntax, at, "NOT LIKE is not supported",
                     Cat("put not before the comparison: not ",
                         EntityText(e), " LIKE 'pattern%'"));
      }
      return Error(kSyntax, s_.offset(),
                   Cat("expected IN after NOT, found ", Found()),
                   Cat("write ", EntityText(e), " NOT IN ('a', 'b'), or put "
                       "not before the comparison"));
    }
    return Error(kSyntax, at,
                 Cat("expected a comparison operator after ", EntityText(e),
                     ", found ", DescribeAt(s_.text(), at, "filter")),
                 IsNumeric(e.kind, e.attribute)
                     ? Cat("use =, !=, <, <=, > or >=: ", ExampleFor(e))
                     : Cat("use =, !=, LIKE, ILIKE, IN or NOT IN: ",
                           ExampleFor(e)));
  }

  absl::Status CheckOp(const EntityRef& e, CompareOp op, size_t at) {
    const bool numeric = IsNumeric(e.kind, e.attribute);
    const bool string_op = op == CompareOp::kLike || op == CompareOp::kILike ||
                           op == CompareOp::kIn || op == CompareOp::kNotIn;
    const bool order_op = op == CompareOp::kLt || op == CompareOp::kLe ||
                          op == CompareOp::kGt || op == CompareOp::kGe;
    if (numeric && string_op) {
      return Error(kType, at,
                   Cat(EntityText(e), " is a number; ", ToString(op),
                       " compares strings"),
                   Cat("use =, !=, <, <=, > or >=: ", ExampleFor(e)));
    }
    if (!numeric && order_op) {
      return Error(kType, at,
                   Cat(EntityText(e), " is a string; ", ToString(op),
                       " compares numbers"),
                   Cat("use =, !=, LIKE, ILIKE, IN or NOT IN: ", ExampleFor(e)));
    }
    return absl::OkStatus();
  }

  absl::StatusOr<Value> ParseValue(const EntityRef& e, CompareOp op) {
    const bool numeric = IsNumeric(e.kind, e.attribute);
    const size_t at = s_.offset();
    if (op == CompareOp::kIn || op == CompareOp::kNotIn) {
      if (s_.Peek() != '(') {
        return Error(kSyntax, at,
                     Cat("expected a parenthesised list after ", ToString(op),
                         ", found ", Found()),
                     Cat("write ", EntityText(e), " ", ToString(op),
                         " ('a', 'b')"));
      }
      s_.Advance();
      std::vector<std::string> list;
      while (true) {
        s_.SkipSpace();
        if (s_.Peek() == ')') {
          return Error(kSyntax, s_.offset(),
                       list.empty() ? "an IN list may not be empty"
                                    : "expected a quoted string after ','",
                       Cat("list one or more quoted strings: ", EntityText(e),
                           " ", ToString(op), " ('a', 'b')"));
        }
        absl::StatusOr<std::string> item = ParseString(e, op, /*in_list=*/true);
        if (!item.ok()) return item.status();
        list.push_back(*std::move(item));
        s_.SkipSpace();
        if (s_.Peek() == ',') {
          s_.Advance();
          continue;
        }
        if (s_.Peek() == ')') {
          s_.Advance();
          break;
        }
        return Error(kSyntax, s_.offset(),
                     Cat("expected ',' or ')' in the list, found ", Found()),
                     Cat("separate quoted strings with commas: ",
                         EntityText(e), " ", ToString(op), " ('a', 'b')"));
      }
      return Value(std::move(list));
    }
    if (numeric) {
      absl::StatusOr<double> d = ParseNumber(e);
      if (!d.ok()) return d.status();
      return Value(*d);
    }
    absl::StatusOr<std::string> str = ParseString(e, op, /*in_list=*/false);
    if (!str.ok()) return str.status();
    return Value(*std::move(str));
  }

  absl::StatusOr<std::string> ParseString(const EntityRef& e, CompareOp op,
                                          bool in_list) {
    const size_t at = s_.offset();
    const char c = s_.Peek();
    if (c == '\'' || c == '"') {
      std::string out;
      if (!ReadQuoted(s_, &out)) {
        return Error(kSyntax, at,
                     Cat("the string starting here has no closing ",
                         std::string_view(&c, 1)),
                     "close the quote; write a quote inside a string twice "
                     "('it''s')");
      }
      return out;
    }
    std::string example =
        in_list ? Cat(EntityText(e), " ", ToString(op), " ('a', 'b')")
                : ExampleFor(e);
    if (IsAsciiDigit(c) || c == '-' || c == '+' || c == '.') {
      return Error(kType, at,
                   Cat(EntityText(e), " is a string, found a number"),
                   Cat("quote the value: ", example));
    }
    if (IsWordChar(c) && c != '`') {
      return Error(kSyntax, at,
                   Cat("expected a quoted string, found ", Found()),
                   Cat("quote string values with ' or \": ", example));
    }
    return Error(kSyntax, at, Cat("expected a quoted string, found ", Found()),
                 Cat("compare with a quoted string: ", example));
  }

  absl::StatusOr<double> ParseNumber(const EntityRef& e) {
    const std::string_view text = s_.text();
    const size_t at = s_.offset();
    size_t i = at;
    auto digits = [&] {
      const size_t from = i;
      while (i < text.size() && IsAsciiDigit(text[i])) ++i;
      return i - from;
    };
    bool negative = false;
    if (i < text.size() && (text[i] == '+' || text[i] == '-')) {
      negative = text[i] == '-';
      ++i;
    }
    const size_t mantissa = i;
    size_t n = digits();
    if (i < text.size() && text[i] == '.') {
      ++i;
      n += digits();
    }
    bool ok = n > 0;
    if (ok && i < text.size() && (text[i] == 'e' || text[i] == 'E')) {
      ++i;
      if (i < text.size() && (text[i] == '+' || text[i] == '-')) ++i;
      ok = digits() > 0;
    }
    // A number must end where a word would: `1abc`, `1.2.3` and `1e` are
    // malformed, not a number followed by something else.
    if (ok && i < text.size() && (IsWordChar(text[i]) || text[i] == '+')) {
      ok = false;
    }
    if (!ok) {
      const char c = s_.Peek();
      if (c == '\'' || c == '"') {
        return Error(kType, at, Cat(EntityText(e), " is a number, found a "
                                                   "string"),
                     Cat("write the number without quotes: ", ExampleFor(e)));
      }
      if (IsAsciiAlpha(c)) {
        Scanner word(text);
        word.Advance(at);
        std::string_view w = word.ReadWord();
        std::string lower;
        for (char ch : w) lower += static_cast<char>(ch | 0x20);
        if (lower == "nan" || lower == "inf" || lower == "infinity") {
          return Error(kType, at,
                       Cat("'", w, "' is not a finite number; filters compare "
                                   "with finite numbers only"),
                       Cat("use a finite bound: ", ExampleFor(e)));
        }
      }
      size_t end = at;
      while (end < text.size() && (IsWordChar(text[end]) || text[end] == '+') &&
             end - at < 40) {
        ++end;
      }
      if (end > at && (IsAsciiDigit(text[at]) || text[at] == '-' ||
                       text[at] == '+' || text[at] == '.')) {
        return Error(kSyntax, at,
                     Cat("malformed number '", text.substr(at, end - at), "'"),
                     Cat("write a decimal number such as 0.9, -3, 1e-5: ",
                         ExampleFor(e)));
      }
      return Error(kSyntax, at, Cat("expected a number, found ", Found()),
                   Cat("compare with a number: ", ExampleFor(e)));
    }
    double value = 0;
    const std::from_chars_result r =
        std::from_chars(text.data() + mantissa, text.data() + i, value);
    if (r.ec != std::errc() || r.ptr != text.data() + i || !std::isfinite(value)) {
      return Error(kSyntax, at,
                   Cat("the number '", text.substr(at, i - at),
                       "' is out of range for a 64-bit float"),
                   Cat("use a number between about 1e-308 and 1e308 in "
                       "magnitude (or 0): ",
                       ExampleFor(e)));
    }
    s_.Advance(i - at);
    return negative ? -value : value;
  }

  Scanner s_;
  const FilterLimits limits_;
  size_t depth_ = 0;
  size_t comparisons_ = 0;
};

}  // namespace

absl::StatusOr<Filter> ParseFilter(std::string_view text,
                                   const FilterLimits& limits) {
  return Parser(text, limits).Parse();
}

}  // namespace slipway::internal_query
