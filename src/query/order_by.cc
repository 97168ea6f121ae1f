#include "src/query/order_by.h"

#include <string>
#include <utility>

#include "slipway/status.h"
#include "src/errors/strings.h"
#include "src/errors/utf8.h"
#include "src/query/scanner.h"

namespace slipway::internal_query {
namespace {

using ::slipway::internal_strings::Cat;

constexpr std::string_view kSyntax = "ORDER_BY_SYNTAX";
constexpr std::string_view kUnknownAttribute = "ORDER_BY_UNKNOWN_ATTRIBUTE";
constexpr std::string_view kTooComplex = "ORDER_BY_TOO_COMPLEX";

Grammar OrderByGrammar(std::string what) {
  return Grammar{std::move(what),
                 kSyntax,
                 kUnknownAttribute,
                 "order_by term grammar (docs/search.md): entity [ASC|DESC]",
                 "valid order_by terms: \"metrics.acc DESC\", \"attributes.start_time\", "
                 "\"params.`learning rate` ASC\""};
}

absl::StatusOr<OrderBy> ParseTerm(std::string_view term, const Grammar& g) {
  size_t chars = 0;
  for (size_t i = 0; i < term.size();) {
    if (chars == kMaxOrderByTermLength) {
      return SyntaxError(g, kTooComplex, term, i,
                         Cat("the term is longer than ", kMaxOrderByTermLength,
                             " characters"),
                         "name one metric, param, tag or attribute");
    }
    const size_t len = internal_utf8::SequenceLength(term, i);
    if (len == 0) {
      return SyntaxError(g, kSyntax, term, i,
                         Cat(DescribeAt(term, i, g.what), " is not valid UTF-8"),
                         "send order_by terms as UTF-8 text");
    }
    i += len;
    ++chars;
  }
  Scanner s(term);
  s.SkipSpace();
  if (s.AtEnd()) {
    return SyntaxError(g, kSyntax, term, s.offset(), "the term is empty",
                       "name what to sort by, optionally followed by ASC or "
                       "DESC");
  }
  OrderBy out;
  absl::StatusOr<EntityRef> entity = ParseEntity(s, g);
  if (!entity.ok()) return entity.status();
  out.entity = *std::move(entity);
  const size_t after_entity = s.offset();
  s.SkipSpace();
  if (s.AtEnd()) return out;
  if (s.offset() == after_entity) {
    return SyntaxError(g, kSyntax, term, s.offset(),
                       Cat("expected a space then ASC or DESC after the key, "
                           "found ",
                           DescribeAt(term, s.offset(), g.what)),
                       "quote keys with special characters in backquotes "
                       "(metrics.`val loss` DESC)");
  }
  const size_t direction = s.offset();
  if (s.ConsumeKeyword("asc")) {
    out.ascending = true;
  } else if (s.ConsumeKeyword("desc")) {
    out.ascending = false;
  } else {
    return SyntaxError(g, kSyntax, term, direction,
                       Cat("expected ASC or DESC, found ",
                           DescribeAt(term, direction, g.what)),
                       "write ASC or DESC after the key, or nothing for "
                       "ascending");
  }
  s.SkipSpace();
  if (!s.AtEnd()) {
    return SyntaxError(g, kSyntax, term, s.offset(),
                       Cat("expected the end of the term after the direction, "
                           "found ",
                           DescribeAt(term, s.offset(), g.what)),
                       "give each sort key as its own order_by term");
  }
  return out;
}

}  // namespace

absl::StatusOr<OrderBy> ParseOrderByTerm(std::string_view term) {
  return ParseTerm(term, OrderByGrammar("order_by term"));
}

absl::StatusOr<std::vector<OrderBy>> ParseOrderBy(
    std::span<const std::string> terms) {
  if (terms.size() > kMaxOrderByTerms) {
    const Grammar g = OrderByGrammar(Cat("order_by[", kMaxOrderByTerms, "]"));
    return SyntaxError(g, kTooComplex, terms[kMaxOrderByTerms], 0,
                       Cat("order_by has ", terms.size(),
                           " terms; the limit is ", kMaxOrderByTerms),
                       "sort by fewer keys");
  }
  std::vector<OrderBy> out;
  out.reserve(terms.size());
  for (size_t i = 0; i < terms.size(); ++i) {
    const Grammar g = OrderByGrammar(Cat("order_by[", i, "]"));
    absl::StatusOr<OrderBy> term = ParseTerm(terms[i], g);
    if (!term.ok()) return term.status();
    for (size_t j = 0; j < out.size(); ++j) {
      if (out[j].entity == term->entity) {
        std::string text;
        AppendEntity(&text, term->entity);
        Scanner s(terms[i]);
        s.SkipSpace();
        return SyntaxError(g, kSyntax, terms[i], s.offset(),
                           Cat(ForMessage(text),
                               " is already sorted on by order_by[", j,
                               "]"),
                           "list each sort key once");
      }
    }
    out.push_back(*std::move(term));
  }
  return out;
}

std::string ToString(const OrderBy& term) {
  std::string out;
  AppendEntity(&out, term.entity);
  out += term.ascending ? " ASC" : " DESC";
  return out;
}

}  // namespace slipway::internal_query
