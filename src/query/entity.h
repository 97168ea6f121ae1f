// What a search filter or an order_by term refers to: a run's metric,
// param or tag (by key), or one of its attributes (by name).
//
// Spellings follow MLflow: `metrics.<key>` (also `metric.`), `params.<key>`
// (also `param.`, `parameter.`, `parameters.`), `tags.<key>` (also `tag.`),
// `attributes.<name>` (also `attribute.`, `attr.`, `run.`). The prefix and
// attribute names are ASCII case-insensitive; keys are case-sensitive. A
// key is written bare when it is made of ASCII letters, digits, '_', '.',
// '-' and '/', and otherwise quoted with backquotes, double quotes or single
// quotes (the quote doubled inside: `val loss`, "it""s").
//
// Thread-safety: pure functions and plain values.
#ifndef SLIPWAY_SRC_QUERY_ENTITY_H_
#define SLIPWAY_SRC_QUERY_ENTITY_H_

#include <string>
#include <string_view>

#include "absl/status/statusor.h"
#include "src/query/scanner.h"

namespace slipway::internal_query {

enum class EntityKind { kMetric, kParam, kTag, kAttribute };

// The run attributes a filter or order_by may name.
enum class Attribute {
  kNone,          // the entity is not an attribute
  kStatus,        // status: string (RUNNING, FINISHED, FAILED, KILLED, ...)
  kRunName,       // run_name: string
  kRunId,         // run_id: string (32 hex characters)
  kStartTime,     // start_time (alias created): number, ms since the epoch
  kEndTime,       // end_time: number, ms since the epoch
  kUser,          // user (alias user_id): string
  kExperimentId,  // experiment_id: string
  // Model-version search only (search_model_versions; runs refuse them):
  kModelName,     // name (alias model): string, the registered model
  kVersion,       // version: string, the canonical version
  kApproval,      // approval (alias approval_status): string
};

// The canonical prefix: "metrics", "params", "tags", "attributes".
std::string_view EntityPrefix(EntityKind kind);

// The canonical name of an attribute ("start_time"); "" for kNone.
std::string_view AttributeName(Attribute attribute);

// The attribute named `name` (any ASCII case, aliases included), or kNone.
Attribute AttributeByName(std::string_view name);

// The list of attribute names for messages: "status, run_name, ...".
std::string_view AttributeNameList();

// Whether values of the entity are numbers (metrics, start_time, end_time)
// rather than strings.
inline bool IsNumeric(EntityKind kind, Attribute attribute) {
  return kind == EntityKind::kMetric || attribute == Attribute::kStartTime ||
         attribute == Attribute::kEndTime;
}

// A parsed `<prefix>.<key>`. For attributes `key` is the canonical
// attribute name and `attribute` says which; otherwise `attribute` is kNone
// and `key` is the key exactly as logged (quotes removed).
struct EntityRef {
  EntityKind kind = EntityKind::kMetric;
  std::string key;
  Attribute attribute = Attribute::kNone;

  friend bool operator==(const EntityRef&, const EntityRef&) = default;
};

// Reads `<prefix>.<key>` at the scanner (no leading space). Errors:
// grammar.syntax_reason for an unknown prefix, a missing '.', an empty or
// unterminated key; grammar.unknown_attribute_reason for an attribute name
// that does not exist. Each names the position.
absl::StatusOr<EntityRef> ParseEntity(Scanner& s, const Grammar& grammar);

// Appends the canonical spelling of `entity`: the canonical prefix, '.',
// then the key bare when it can be, else backquoted.
void AppendEntity(std::string* out, const EntityRef& entity);

}  // namespace slipway::internal_query

#endif  // SLIPWAY_SRC_QUERY_ENTITY_H_
