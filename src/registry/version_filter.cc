#include "src/registry/version_filter.h"

#include <string>
#include <variant>

#include "slipway/status.h"
#include "src/errors/strings.h"
#include "src/storage/sqlite/functions.h"

namespace slipway::internal_registry {
namespace {

using internal_query::And;
using internal_query::Attribute;
using internal_query::CompareOp;
using internal_query::Comparison;
using internal_query::EntityKind;
using internal_query::Expr;
using internal_query::Not;
using internal_query::Or;
using internal_strings::Cat;

absl::Status NotForVersions(std::string_view filter, std::string_view what) {
  const std::string fix =
      "Model versions have tags.<key> and attributes name, version, approval, "
      "run_id, user and created.";
  return MakeError(absl::StatusCode::kInvalidArgument,
                   Cat("the filter names ", what,
                       ", which model versions do not have. ", fix),
                   ErrorDetail{.reason = "FILTER_TYPE",
                               .rule = "version filters follow docs/registry.md",
                               .value = std::string(filter),
                               .fix = fix});
}

absl::Status Check(std::string_view text, const Expr& e) {
  if (const auto* c = std::get_if<Comparison>(&e.node)) {
    switch (c->entity.kind) {
      case EntityKind::kTag:
        return absl::OkStatus();
      case EntityKind::kMetric:
      case EntityKind::kParam:
        return NotForVersions(text, Cat(internal_query::EntityPrefix(c->entity.kind),
                                        ".", c->entity.key));
      case EntityKind::kAttribute:
        switch (c->entity.attribute) {
          case Attribute::kModelName:
          case Attribute::kVersion:
          case Attribute::kApproval:
          case Attribute::kRunId:
          case Attribute::kUser:
          case Attribute::kStartTime:
            return absl::OkStatus();
          default:
            return NotForVersions(text, Cat("attributes.", c->entity.key));
        }
    }
    return absl::OkStatus();
  }
  if (const auto* a = std::get_if<And>(&e.node)) {
    for (const Expr& child : a->children) {
      if (absl::Status s = Check(text, child); !s.ok()) return s;
    }
    return absl::OkStatus();
  }
  if (const auto* o = std::get_if<Or>(&e.node)) {
    for (const Expr& child : o->children) {
      if (absl::Status s = Check(text, child); !s.ok()) return s;
    }
    return absl::OkStatus();
  }
  return Check(text, *std::get<Not>(e.node).operand);
}

bool CompareString(const std::optional<std::string>& have, CompareOp op,
                   const internal_query::Value& want) {
  if (op == CompareOp::kIn || op == CompareOp::kNotIn) {
    const auto& list = std::get<std::vector<std::string>>(want);
    bool found = false;
    if (have.has_value()) {
      for (const std::string& w : list) found = found || *have == w;
    }
    return op == CompareOp::kIn ? found : !found;
  }
  const std::string& w = std::get<std::string>(want);
  if (!have.has_value()) return op == CompareOp::kNe;
  switch (op) {
    case CompareOp::kEq: return *have == w;
    case CompareOp::kNe: return *have != w;
    case CompareOp::kLike:
      return internal_storage::LikeMatch(*have, w, /*ignore_ascii_case=*/false);
    case CompareOp::kILike:
      return internal_storage::LikeMatch(*have, w, /*ignore_ascii_case=*/true);
    default: return false;
  }
}

bool CompareNumber(double have, CompareOp op, double want) {
  switch (op) {
    case CompareOp::kEq: return have == want;
    case CompareOp::kNe: return have != want;
    case CompareOp::kLt: return have < want;
    case CompareOp::kLe: return have <= want;
    case CompareOp::kGt: return have > want;
    case CompareOp::kGe: return have >= want;
    default: return false;
  }
}

bool Eval(const Expr& e, const ModelVersionInfo& v) {
  if (const auto* c = std::get_if<Comparison>(&e.node)) {
    if (c->entity.kind == EntityKind::kTag) {
      std::optional<std::string> have;
      for (const auto& [k, value] : v.tags) {
        if (k == c->entity.key) have = value;
      }
      return CompareString(have, c->op, c->value);
    }
    switch (c->entity.attribute) {
      case Attribute::kModelName: return CompareString(v.model, c->op, c->value);
      case Attribute::kVersion: return CompareString(v.version, c->op, c->value);
      case Attribute::kApproval:
        return CompareString(std::string(ApprovalStatusName(v.approval)), c->op,
                             c->value);
      case Attribute::kRunId: return CompareString(v.run_id, c->op, c->value);
      case Attribute::kUser: return CompareString(v.created_by, c->op, c->value);
      case Attribute::kStartTime:
        return CompareNumber(static_cast<double>(v.created_ms), c->op,
                             std::get<double>(c->value));
      default: return false;
    }
  }
  if (const auto* a = std::get_if<And>(&e.node)) {
    for (const Expr& child : a->children) {
      if (!Eval(child, v)) return false;
    }
    return true;
  }
  if (const auto* o = std::get_if<Or>(&e.node)) {
    for (const Expr& child : o->children) {
      if (Eval(child, v)) return true;
    }
    return false;
  }
  return !Eval(*std::get<Not>(e.node).operand, v);
}

}  // namespace

absl::StatusOr<internal_query::Filter> ParseVersionFilter(std::string_view text) {
  absl::StatusOr<internal_query::Filter> filter = internal_query::ParseFilter(text);
  if (!filter.ok()) return filter.status();
  if (filter->expr.has_value()) {
    if (absl::Status s = Check(text, *filter->expr); !s.ok()) return s;
  }
  return filter;
}

bool MatchesVersionFilter(const internal_query::Filter& filter,
                          const ModelVersionInfo& version) {
  return !filter.expr.has_value() || Eval(*filter.expr, version);
}

}  // namespace slipway::internal_registry
