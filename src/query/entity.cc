#include "src/query/entity.h"

#include <string>

#include "slipway/status.h"
#include "src/errors/strings.h"

namespace slipway::internal_query {
namespace {

using ::slipway::internal_strings::Cat;

bool EqualsIgnoreCase(std::string_view a, std::string_view lower) {
  if (a.size() != lower.size()) return false;
  for (size_t i = 0; i < a.size(); ++i) {
    char c = a[i];
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
    if (c != lower[i]) return false;
  }
  return true;
}

struct PrefixSpelling {
  std::string_view spelling;
  EntityKind kind;
};

// MLflow's identifiers (mlflow/utils/search_utils.py) and their aliases.
constexpr PrefixSpelling kPrefixes[] = {
    {"metrics", EntityKind::kMetric},       {"metric", EntityKind::kMetric},
    {"params", EntityKind::kParam},         {"param", EntityKind::kParam},
    {"parameters", EntityKind::kParam},     {"parameter", EntityKind::kParam},
    {"tags", EntityKind::kTag},             {"tag", EntityKind::kTag},
    {"attributes", EntityKind::kAttribute}, {"attribute", EntityKind::kAttribute},
    {"attr", EntityKind::kAttribute},       {"run", EntityKind::kAttribute},
};

struct AttributeSpelling {
  std::string_view spelling;
  Attribute attribute;
};

constexpr AttributeSpelling kAttributes[] = {
    {"status", Attribute::kStatus},
    {"run_name", Attribute::kRunName},
    {"run_id", Attribute::kRunId},
    {"start_time", Attribute::kStartTime},
    {"created", Attribute::kStartTime},  // MLflow's alias
    {"end_time", Attribute::kEndTime},
    {"user", Attribute::kUser},
    {"user_id", Attribute::kUser},  // MLflow's RunInfo field name
    {"experiment_id", Attribute::kExperimentId},
    {"name", Attribute::kModelName},
    {"model", Attribute::kModelName},
    {"version", Attribute::kVersion},
    {"approval", Attribute::kApproval},
    {"approval_status", Attribute::kApproval},
};

bool IsBareKey(std::string_view key) {
  if (key.empty()) return false;
  for (char c : key) {
    if (!IsBareKeyChar(c)) return false;
  }
  return true;
}

}  // namespace

std::string_view EntityPrefix(EntityKind kind) {
  switch (kind) {
    case EntityKind::kMetric: return "metrics";
    case EntityKind::kParam: return "params";
    case EntityKind::kTag: return "tags";
    case EntityKind::kAttribute: return "attributes";
  }
  return "?";
}

std::string_view AttributeName(Attribute attribute) {
  switch (attribute) {
    case Attribute::kNone: return "";
    case Attribute::kStatus: return "status";
    case Attribute::kRunName: return "run_name";
    case Attribute::kRunId: return "run_id";
    case Attribute::kStartTime: return "start_time";
    case Attribute::kEndTime: return "end_time";
    case Attribute::kUser: return "user";
    case Attribute::kExperimentId: return "experiment_id";
    case Attribute::kModelName: return "name";
    case Attribute::kVersion: return "version";
    case Attribute::kApproval: return "approval";
  }
  return "";
}

Attribute AttributeByName(std::string_view name) {
  for (const AttributeSpelling& a : kAttributes) {
    if (EqualsIgnoreCase(name, a.spelling)) return a.attribute;
  }
  return Attribute::kNone;
}

std::string_view AttributeNameList() {
  return "status, run_name, run_id, start_time (or created), end_time, user "
         "(or user_id), experiment_id; for model versions also name (or "
         "model), version, approval (or approval_status)";
}

absl::StatusOr<EntityRef> ParseEntity(Scanner& s, const Grammar& grammar) {
  const size_t start = s.offset();
  const std::string_view prefix = s.ReadWord();
  EntityRef entity;
  bool known = false;
  for (const PrefixSpelling& p : kPrefixes) {
    if (EqualsIgnoreCase(prefix, p.spelling)) {
      entity.kind = p.kind;
      known = true;
      break;
    }
  }
  if (!known || s.Peek() != '.') {
    return SyntaxError(
        grammar, grammar.syntax_reason, s.text(), start,
        Cat("expected metrics.<key>, params.<key>, tags.<key> or "
            "attributes.<name>, found ",
            DescribeAt(s.text(), start, grammar.what)),
        "name what to compare with its prefix, quoting keys with spaces or "
        "other special characters (metrics.`val loss`)");
  }
  s.Advance();  // '.'
  const size_t key_start = s.offset();
  const char c = s.Peek();
  if (c == '`' || c == '"' || c == '\'') {
    if (!ReadQuoted(s, &entity.key)) {
      return SyntaxError(grammar, grammar.syntax_reason, s.text(), key_start,
                         Cat("the quoted key starting here has no closing ",
                             std::string_view(&c, 1)),
                         "close the quote; write a quote inside a key twice");
    }
  } else {
    while (!s.AtEnd() && IsBareKeyChar(s.Peek())) s.Advance();
    entity.key = std::string(s.text().substr(key_start, s.offset() - key_start));
  }
  if (entity.key.empty()) {
    return SyntaxError(
        grammar, grammar.syntax_reason, s.text(), key_start,
        Cat("expected a key after '", prefix, ".', found ",
            DescribeAt(s.text(), key_start, grammar.what)),
        "write the key after the prefix, quoted with backquotes when it has "
        "spaces or other special characters");
  }
  if (entity.kind == EntityKind::kAttribute) {
    entity.attribute = AttributeByName(entity.key);
    if (entity.attribute == Attribute::kNone) {
      return SyntaxError(
          grammar, grammar.unknown_attribute_reason, s.text(), key_start,
          Cat("unknown run attribute ", QuoteForMessage(entity.key, 60)),
          Cat("use one of ", AttributeNameList(),
              ", or tags.<key> for a tag"));
    }
    entity.key = std::string(AttributeName(entity.attribute));
  }
  return entity;
}

void AppendEntity(std::string* out, const EntityRef& entity) {
  out->append(EntityPrefix(entity.kind));
  *out += '.';
  if (IsBareKey(entity.key)) {
    out->append(entity.key);
  } else {
    AppendQuoted(out, entity.key, '`');
  }
}

}  // namespace slipway::internal_query
