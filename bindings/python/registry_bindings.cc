// slipway/registry.h and slipway/audit.h: the registry, audit-log and
// emergency-stop methods of _slipway.Store (slipway/store.h, the end of
// class Store). Wrapped with keyword ergonomics and dataclasses by
// python/slipway/registry.py.
//
// Thin: every call runs the core without the GIL (WithoutGil) and
// statuses become exceptions through status_translation. The C++ value
// types cross as plain dicts, lists and tuples (built after the call, with
// the GIL), never as pybind11 classes: Python gets values, not handles on
// C++ state. Approval statuses cross as their names ("Approved"), parsed by
// ParseApprovalStatus.
//
// Three private methods (_record_deployment, _hold_version, _release_hold)
// write the deployment history and the holds that retention reads
// (SPEC §4). Rollouts will write them through the Store once they land;
// until then these hooks, for tests and rollout prototypes, open a second
// connection to the same store file (internal_storage::OpenStoreBackends)
// because the public Store has no such calls.
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "absl/time/time.h"
#include "bindings/python/bindings.h"
#include "bindings/python/py_store.h"
#include "bindings/python/status_translation.h"
#include "slipway/audit.h"
#include "slipway/registry.h"
#include "slipway/store.h"
#include "slipway/version.h"
#include "src/storage/store_backends.h"

namespace py = pybind11;

namespace slipway::python {
namespace {

using KeyValues = std::vector<std::pair<std::string, std::string>>;
using OptString = std::optional<std::string>;

Actor ActorOf(const OptString& name, const OptString& role) {
  return Actor{.name = name.value_or(""), .role = role.value_or("")};
}

// --- C++ values -> Python dicts (with the GIL) ------------------------------

py::list PairList(const KeyValues& pairs) {
  py::list out;
  for (const auto& [k, v] : pairs) out.append(py::make_tuple(k, v));
  return out;
}

py::dict VersionDict(const ModelVersionInfo& v) {
  py::list artifacts;
  for (const ArtifactFile& f : v.artifacts) {
    py::dict a;
    a["path"] = f.path;
    a["digest"] = f.digest;
    a["size_bytes"] = f.size_bytes;
    artifacts.append(std::move(a));
  }
  py::list datasets;
  for (const DatasetRef& d : v.datasets) {
    py::dict a;
    a["path"] = d.path;
    a["digest"] = d.digest;
    datasets.append(std::move(a));
  }
  py::dict d;
  d["model"] = v.model;
  d["version"] = v.version;
  d["run_id"] = v.run_id;
  d["code_version"] = v.code_version;
  d["description"] = v.description;
  d["metadata_json"] = v.metadata_json;
  d["signature_json"] = v.signature_json;
  d["artifacts"] = std::move(artifacts);
  d["datasets"] = std::move(datasets);
  d["tags"] = PairList(v.tags);
  d["aliases"] = py::cast(v.aliases);
  d["approval"] = std::string(ApprovalStatusName(v.approval));
  d["archived"] = v.archived;
  d["created_ms"] = v.created_ms;
  d["created_by"] = v.created_by;
  return d;
}

py::list VersionList(const std::vector<ModelVersionInfo>& versions) {
  py::list out;
  for (const ModelVersionInfo& v : versions) out.append(VersionDict(v));
  return out;
}

py::dict ModelDict(const RegisteredModel& m) {
  py::dict d;
  d["name"] = m.name;
  d["description"] = m.description;
  d["tags"] = PairList(m.tags);
  if (m.scheme.has_value()) {
    d["scheme"] = *m.scheme == VersionScheme::kSemver ? "semver" : "revision";
  } else {
    d["scheme"] = py::none();
  }
  d["created_ms"] = m.created_ms;
  d["updated_ms"] = m.updated_ms;
  d["aliases"] = PairList(m.aliases);
  return d;
}

py::dict ApprovalEventDict(const ApprovalEvent& e) {
  py::dict d;
  d["from_status"] = std::string(ApprovalStatusName(e.from));
  d["to_status"] = std::string(ApprovalStatusName(e.to));
  d["actor"] = e.actor;
  d["role"] = e.role;
  d["reason"] = e.reason;
  d["environment"] = e.environment;
  d["at_ms"] = e.at_ms;
  return d;
}

py::dict ValidationDict(const ValidationRecord& r) {
  py::list checks;
  for (const ValidationCheck& c : r.checks) {
    checks.append(py::make_tuple(c.name, c.value));
  }
  py::dict d;
  d["model"] = r.model;
  d["version"] = r.version;
  d["environment"] = r.environment;
  d["checks"] = std::move(checks);
  d["passed"] = r.passed;
  d["actor"] = r.actor;
  d["recorded_ms"] = r.recorded_ms;
  return d;
}

py::dict LineageDict(const VersionLineage& l) {
  py::list metrics;
  for (const auto& [key, value] : l.metrics) {
    metrics.append(py::make_tuple(key, value));
  }
  py::dict d;
  d["version"] = VersionDict(l.version);
  d["has_run"] = l.has_run;
  d["run_id"] = l.run_id;
  d["experiment"] = l.experiment;
  d["params"] = PairList(l.params);
  d["metrics"] = std::move(metrics);
  d["run_tags"] = PairList(l.run_tags);
  return d;
}

// Every field of an AuditRecord (slipway/audit.h), in its declared order.
py::dict AuditDict(const AuditRecord& r) {
  py::dict d;
  d["seq"] = r.seq;
  d["timestamp"] = r.timestamp;
  d["timestamp_ms"] = r.timestamp_ms;
  d["agent"] = r.agent;
  d["user"] = r.user;
  d["environment"] = r.environment;
  d["command"] = r.command;
  d["resource_type"] = r.resource_type;
  d["resource_name"] = r.resource_name;
  d["action"] = r.action;
  d["model_name"] = r.model_name;
  d["model_version"] = r.model_version;
  d["previous_version"] = r.previous_version;
  d["change_ticket"] = r.change_ticket;
  d["outcome"] = r.outcome;
  d["rollback_config"] = r.rollback_config;
  d["duration_ms"] = r.duration_ms;
  d["reason"] = r.reason;
  d["message"] = r.message;
  d["prev_hash"] = r.prev_hash;
  d["hash"] = r.hash;
  return d;
}

py::dict StopDict(const EmergencyStopState& s) {
  py::dict d;
  d["active"] = s.active;
  d["file_path"] = s.file_path;
  d["file_set"] = s.file_set;
  d["file_content"] = s.file_content;
  d["store_set"] = s.store_set;
  d["store_actor"] = s.store_actor;
  d["store_reason"] = s.store_reason;
  d["store_set_ms"] = s.store_set_ms;
  return d;
}

// --- The internal rollout hooks (header comment) -----------------------------

// Runs `f(registry_backend)` on a second connection to the store file of
// `s`. Call without the GIL. A ":memory:" store is another database on every
// connection, so it has no such hook.
template <typename F>
absl::Status WithStoreFile(PyStore& s, F&& f) {
  absl::StatusOr<internal_storage::StoreBackends> backends =
      internal_storage::OpenStoreBackends(s.uri, internal_storage::BackendOptions{},
                                          s.clock);
  if (!backends.ok()) return backends.status();
  if (backends->path == ":memory:") {
    return absl::FailedPreconditionError(
        "the internal deployment hooks need a store file, not :memory:");
  }
  // StoreBackends destroys the backends that share the connection before
  // the one that owns it.
  return f(*backends->registry);
}

// The canonical spelling the registry stores ("v2.4.1" -> "2.4.1").
std::string Canonical(const std::string& version) {
  return ValueOrThrow(ModelVersion::Parse(version)).canonical();
}

void RegisterStoreMethods(py::module_& m) {
  py::object type = m.attr("Store");
  // Defines `name` as a method of _slipway.Store.
  auto add = [&](const char* name, auto&& fn, auto&&... extra) {
    py::setattr(type, name,
                py::cpp_function(std::forward<decltype(fn)>(fn), py::name(name),
                                 py::is_method(type), extra...));
  };

  // --- models ---
  add(
      "create_model",
      [](PyStore& s, const std::string& name, const std::string& description,
         const KeyValues& tags, const OptString& actor, const OptString& role) {
        Store& store = s.get();
        const Actor who = ActorOf(actor, role);
        ThrowIfError(WithoutGil(
            [&] { return store.CreateModel(name, description, tags, who); }));
      },
      py::arg("name"), py::arg("description") = "", py::arg("tags") = KeyValues{},
      py::arg("actor") = py::none(), py::arg("role") = py::none());
  add(
      "get_model",
      [](PyStore& s, const std::string& name) {
        Store& store = s.get();
        return ModelDict(
            ValueOrThrow(WithoutGil([&] { return store.GetModel(name); })));
      },
      py::arg("name"));
  add("list_models", [](PyStore& s) {
    Store& store = s.get();
    std::vector<RegisteredModel> models =
        ValueOrThrow(WithoutGil([&] { return store.ListModels(); }));
    py::list out;
    for (const RegisteredModel& model : models) out.append(ModelDict(model));
    return out;
  });

  // --- versions ---
  add(
      "register_model_version",
      [](PyStore& s, const std::string& model, const std::string& version,
         const std::string& run_id, const std::vector<std::string>& artifacts,
         const KeyValues& datasets, const std::string& code_version,
         const std::string& description, const std::string& metadata_json,
         const std::string& signature_json, const KeyValues& tags,
         const OptString& actor, const OptString& role) {
        Store& store = s.get();
        RegisterModelVersionRequest request;
        request.model = model;
        request.version = version;
        request.run_id = run_id;
        request.artifact_paths = artifacts;
        for (const auto& [path, digest] : datasets) {
          request.datasets.push_back(DatasetRef{path, digest});
        }
        request.code_version = code_version;
        request.description = description;
        request.metadata_json = metadata_json;
        request.signature_json = signature_json;
        request.tags = tags;
        request.actor = ActorOf(actor, role);
        return VersionDict(ValueOrThrow(
            WithoutGil([&] { return store.RegisterModelVersion(request); })));
      },
      py::arg("model"), py::arg("version"), py::arg("run_id"),
      py::arg("artifacts"), py::arg("datasets"), py::arg("code_version"),
      py::arg("description"), py::arg("metadata_json"),
      py::arg("signature_json"), py::arg("tags"), py::arg("actor") = py::none(),
      py::arg("role") = py::none());
  add(
      "get_model_version",
      [](PyStore& s, const std::string& model, const std::string& version_or_alias,
         const OptString& environment) {
        Store& store = s.get();
        const std::string env = environment.value_or("");
        return VersionDict(ValueOrThrow(WithoutGil([&] {
          return store.GetModelVersion(model, version_or_alias, env);
        })));
      },
      py::arg("model"), py::arg("version_or_alias"),
      py::arg("environment") = py::none());
  add(
      "list_model_versions",
      [](PyStore& s, const std::string& model) {
        Store& store = s.get();
        return VersionList(
            ValueOrThrow(WithoutGil([&] { return store.ListModelVersions(model); })));
      },
      py::arg("model"));
  add(
      "search_model_versions",
      [](PyStore& s, const std::string& filter,
         std::optional<size_t> max_results) {
        Store& store = s.get();
        return VersionList(ValueOrThrow(WithoutGil([&] {
          return max_results ? store.SearchModelVersions(filter, *max_results)
                             : store.SearchModelVersions(filter);
        })));
      },
      py::arg("filter"), py::arg("max_results") = py::none());
  add(
      "archive_model_version",
      [](PyStore& s, const std::string& model, const std::string& version,
         const OptString& actor, const OptString& role) {
        Store& store = s.get();
        const Actor who = ActorOf(actor, role);
        ThrowIfError(WithoutGil(
            [&] { return store.ArchiveModelVersion(model, version, who); }));
      },
      py::arg("model"), py::arg("version"), py::arg("actor") = py::none(),
      py::arg("role") = py::none());
  add(
      "delete_model_version",
      [](PyStore& s, const std::string& model, const std::string& version,
         const OptString& actor, const OptString& role,
         const OptString& environment) {
        Store& store = s.get();
        const Actor who = ActorOf(actor, role);
        const std::string env = environment.value_or("");
        ThrowIfError(WithoutGil(
            [&] { return store.DeleteModelVersion(model, version, who, env); }));
      },
      py::arg("model"), py::arg("version"), py::arg("actor") = py::none(),
      py::arg("role") = py::none(), py::arg("environment") = py::none());

  // --- aliases ---
  add(
      "set_alias",
      [](PyStore& s, const std::string& model, const std::string& alias,
         const std::string& version, const OptString& actor,
         const OptString& role) {
        Store& store = s.get();
        const Actor who = ActorOf(actor, role);
        ThrowIfError(WithoutGil(
            [&] { return store.SetAlias(model, alias, version, who); }));
      },
      py::arg("model"), py::arg("alias"), py::arg("version"),
      py::arg("actor") = py::none(), py::arg("role") = py::none());
  add(
      "delete_alias",
      [](PyStore& s, const std::string& model, const std::string& alias,
         const OptString& actor, const OptString& role) {
        Store& store = s.get();
        const Actor who = ActorOf(actor, role);
        ThrowIfError(
            WithoutGil([&] { return store.DeleteAlias(model, alias, who); }));
      },
      py::arg("model"), py::arg("alias"), py::arg("actor") = py::none(),
      py::arg("role") = py::none());

  // --- approvals and validation ---
  add(
      "set_approval",
      [](PyStore& s, const std::string& model, const std::string& version,
         const std::string& status, const OptString& actor,
         const OptString& role, const std::string& reason,
         const OptString& environment) {
        Store& store = s.get();
        const ApprovalStatus to = ValueOrThrow(ParseApprovalStatus(status));
        const Actor who = ActorOf(actor, role);
        const std::string env = environment.value_or("");
        ThrowIfError(WithoutGil([&] {
          return store.SetApproval(model, version, to, who, reason, env);
        }));
      },
      py::arg("model"), py::arg("version"), py::arg("status"),
      py::arg("actor") = py::none(), py::arg("role") = py::none(),
      py::arg("reason") = "", py::arg("environment") = py::none());
  add(
      "approval_history",
      [](PyStore& s, const std::string& model, const std::string& version) {
        Store& store = s.get();
        std::vector<ApprovalEvent> events = ValueOrThrow(
            WithoutGil([&] { return store.GetApprovalHistory(model, version); }));
        py::list out;
        for (const ApprovalEvent& e : events) out.append(ApprovalEventDict(e));
        return out;
      },
      py::arg("model"), py::arg("version"));
  add(
      "record_validation",
      [](PyStore& s, const std::string& model, const std::string& version,
         const OptString& environment,
         const std::vector<std::pair<std::string, double>>& checks, bool passed,
         const OptString& actor, const OptString& role) {
        Store& store = s.get();
        ValidationRecord record;
        record.model = model;
        record.version = version;
        record.environment = environment.value_or("");
        for (const auto& [name, value] : checks) {
          record.checks.push_back(ValidationCheck{name, value});
        }
        record.passed = passed;
        const Actor who = ActorOf(actor, role);
        ThrowIfError(
            WithoutGil([&] { return store.RecordValidation(record, who); }));
      },
      py::arg("model"), py::arg("version"), py::arg("environment"),
      py::arg("checks"), py::arg("passed"), py::arg("actor") = py::none(),
      py::arg("role") = py::none());
  add(
      "validations",
      [](PyStore& s, const std::string& model, const std::string& version,
         const OptString& environment) {
        Store& store = s.get();
        const std::string env = environment.value_or("");
        std::vector<ValidationRecord> records = ValueOrThrow(WithoutGil(
            [&] { return store.ListValidations(model, version, env); }));
        py::list out;
        for (const ValidationRecord& r : records) out.append(ValidationDict(r));
        return out;
      },
      py::arg("model"), py::arg("version"), py::arg("environment") = py::none());
  add(
      "has_passed_validation",
      [](PyStore& s, const std::string& model, const std::string& version,
         const std::string& environment) {
        Store& store = s.get();
        return ValueOrThrow(WithoutGil([&] {
          return store.HasPassedValidation(model, version, environment);
        }));
      },
      py::arg("model"), py::arg("version"), py::arg("environment"));

  // --- lineage and artifacts ---
  add(
      "versions_of_run",
      [](PyStore& s, const std::string& run_id) {
        Store& store = s.get();
        return VersionList(
            ValueOrThrow(WithoutGil([&] { return store.GetVersionsOfRun(run_id); })));
      },
      py::arg("run_id"));
  add(
      "lineage",
      [](PyStore& s, const std::string& model, const std::string& version_or_alias) {
        Store& store = s.get();
        return LineageDict(ValueOrThrow(
            WithoutGil([&] { return store.GetLineage(model, version_or_alias); })));
      },
      py::arg("model"), py::arg("version_or_alias"));
  add(
      "download_artifacts",
      [](PyStore& s, const std::string& model, const std::string& version_or_alias,
         const std::string& dest_dir) {
        Store& store = s.get();
        ThrowIfError(WithoutGil([&] {
          return store.DownloadArtifacts(model, version_or_alias, dest_dir);
        }));
      },
      py::arg("model"), py::arg("version_or_alias"), py::arg("dest_dir"));

  // --- audit log ---
  add(
      "audit_log",
      [](PyStore& s, std::optional<int64_t> since_ms,
         std::optional<size_t> limit) {
        Store& store = s.get();
        std::vector<AuditRecord> records = ValueOrThrow(WithoutGil([&] {
          if (limit) return store.GetAuditLog(since_ms.value_or(0), *limit);
          return since_ms ? store.GetAuditLog(*since_ms) : store.GetAuditLog();
        }));
        py::list out;
        for (const AuditRecord& r : records) out.append(AuditDict(r));
        return out;
      },
      py::arg("since_ms") = py::none(), py::arg("limit") = py::none());
  add("verify_audit_log", [](PyStore& s) {
    Store& store = s.get();
    ThrowIfError(WithoutGil([&] { return store.VerifyAuditLog(); }));
  });
  add(
      "export_audit_log",
      [](PyStore& s, const std::string& path, std::optional<int64_t> since_ms) {
        Store& store = s.get();
        return ValueOrThrow(WithoutGil([&] {
          return since_ms ? store.ExportAuditLog(path, *since_ms)
                          : store.ExportAuditLog(path);
        }));
      },
      py::arg("path"), py::arg("since_ms") = py::none());

  // --- emergency stop ---
  add(
      "activate_emergency_stop",
      [](PyStore& s, const std::string& reason, const OptString& actor,
         const OptString& role) {
        Store& store = s.get();
        const Actor who = ActorOf(actor, role);
        ThrowIfError(
            WithoutGil([&] { return store.ActivateEmergencyStop(reason, who); }));
      },
      py::arg("reason"), py::arg("actor") = py::none(),
      py::arg("role") = py::none());
  add(
      "clear_emergency_stop",
      [](PyStore& s, const OptString& actor, const OptString& role) {
        Store& store = s.get();
        const Actor who = ActorOf(actor, role);
        ThrowIfError(WithoutGil([&] { return store.ClearEmergencyStop(who); }));
      },
      py::arg("actor") = py::none(), py::arg("role") = py::none());
  add("emergency_stop_status", [](PyStore& s) {
    Store& store = s.get();
    return StopDict(
        ValueOrThrow(WithoutGil([&] { return store.GetEmergencyStop(); })));
  });

  // --- internal rollout hooks (header comment) ---
  add(
      "_record_deployment",
      [](PyStore& s, const std::string& endpoint, const std::string& model,
         const std::string& version) {
        const std::string canonical = Canonical(version);
        const int64_t now_ms = absl::ToUnixMillis(s.clock->Now());
        ThrowIfError(WithoutGil([&] {
          return WithStoreFile(s, [&](internal_storage::RegistryBackend& r) {
            return r.RecordDeployment(endpoint, model, canonical, now_ms);
          });
        }));
      },
      py::arg("endpoint"), py::arg("model"), py::arg("version"));
  add(
      "_hold_version",
      [](PyStore& s, const std::string& model, const std::string& version,
         const std::string& holder, const std::string& reason) {
        const std::string canonical = Canonical(version);
        ThrowIfError(WithoutGil([&] {
          return WithStoreFile(s, [&](internal_storage::RegistryBackend& r) {
            return r.SetHold(model, canonical, holder, reason);
          });
        }));
      },
      py::arg("model"), py::arg("version"), py::arg("holder"),
      py::arg("reason"));
  add(
      "_release_hold",
      [](PyStore& s, const std::string& model, const std::string& version,
         const std::string& holder) {
        const std::string canonical = Canonical(version);
        ThrowIfError(WithoutGil([&] {
          return WithStoreFile(s, [&](internal_storage::RegistryBackend& r) {
            return r.ReleaseHold(model, canonical, holder);
          });
        }));
      },
      py::arg("model"), py::arg("version"), py::arg("holder"));
}

}  // namespace

void RegisterRegistryBindings(py::module_& m) {
  m.def(
      "default_role_rules",
      [] {
        py::list out;
        for (const RoleRule& r : RolePolicy::DefaultRoleRules()) {
          out.append(py::make_tuple(r.environment, r.action, r.roles));
        }
        return out;
      },
      "RolePolicy::DefaultRoleRules() as (environment, action, roles) tuples.");
  RegisterStoreMethods(m);
}

}  // namespace slipway::python
