#include "src/rollout/prometheus.h"

#include <cmath>
#include <cstdio>
#include <string>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"

namespace slipway::internal_rollout {
namespace {

void Header(std::string* out, std::string_view name, std::string_view type,
            std::string_view help) {
  absl::StrAppend(out, "# HELP ", absl::string_view(name.data(), name.size()),
                  " ", absl::string_view(help.data(), help.size()), "\n",
                  "# TYPE ", absl::string_view(name.data(), name.size()), " ",
                  absl::string_view(type.data(), type.size()), "\n");
}

std::string Labels(const RouterMetrics& m, const VariantMetrics* v,
                   std::string_view extra = "") {
  std::string s = absl::StrCat("endpoint=\"", PrometheusEscapeLabel(m.endpoint),
                               "\",replica=\"", PrometheusEscapeLabel(m.replica),
                               "\"");
  if (v != nullptr) {
    absl::StrAppend(&s, ",variant=\"", PrometheusEscapeLabel(v->variant),
                    "\",version=\"", PrometheusEscapeLabel(v->version), "\"");
  }
  if (!extra.empty()) {
    absl::StrAppend(&s, ",", absl::string_view(extra.data(), extra.size()));
  }
  return s;
}

void Sample(std::string* out, std::string_view name, const std::string& labels,
            double value) {
  absl::StrAppend(out, absl::string_view(name.data(), name.size()), "{",
                  labels, "} ", PrometheusValue(value), "\n");
}

void PerVariant(std::string* out, const RouterMetrics& m,
                std::string_view name, std::string_view type,
                std::string_view help, double (*get)(const VariantMetrics&)) {
  Header(out, name, type, help);
  for (const VariantMetrics& v : m.variants) {
    Sample(out, name, Labels(m, &v), get(v));
  }
}

}  // namespace

std::string PrometheusEscapeLabel(std::string_view value) {
  std::string out;
  out.reserve(value.size());
  for (const char c : value) {
    switch (c) {
      case '\\': out += "\\\\"; break;
      case '"': out += "\\\""; break;
      case '\n': out += "\\n"; break;
      default: out += c;
    }
  }
  return out;
}

std::string PrometheusValue(double value) {
  if (std::isnan(value)) return "NaN";
  if (std::isinf(value)) return value > 0 ? "+Inf" : "-Inf";
  if (value == std::floor(value) && std::fabs(value) < 1e15) {
    return absl::StrFormat("%.0f", value);
  }
  return absl::StrFormat("%.17g", value);
}

std::string FormatPrometheus(const RouterMetrics& m) {
  std::string out;
  PerVariant(&out, m, "slipway_router_requests_total", "counter",
             "Requests recorded by this router, per variant.",
             [](const VariantMetrics& v) { return double(v.requests); });
  PerVariant(&out, m, "slipway_router_errors_total", "counter",
             "Requests recorded as failed, per variant.",
             [](const VariantMetrics& v) { return double(v.errors); });
  PerVariant(&out, m, "slipway_router_predictions_total", "counter",
             "Predictions recorded, per variant.",
             [](const VariantMetrics& v) { return double(v.predictions); });
  PerVariant(&out, m, "slipway_router_labelled_total", "counter",
             "Predictions whose label arrived, per variant.",
             [](const VariantMetrics& v) { return double(v.labelled); });
  PerVariant(&out, m, "slipway_router_correct_total", "counter",
             "Labelled predictions that were correct, per variant.",
             [](const VariantMetrics& v) { return double(v.correct); });
  PerVariant(&out, m, "slipway_router_weight", "gauge",
             "Share of requests this router sends to the variant (0..1).",
             [](const VariantMetrics& v) { return v.weight; });

  constexpr std::string_view kLatency = "slipway_router_latency_ms";
  Header(&out, kLatency, "histogram",
         "Request latency in milliseconds, per variant.");
  for (const VariantMetrics& v : m.variants) {
    for (size_t i = 0; i < kPrometheusLatencyBoundsMs.size(); ++i) {
      Sample(&out, "slipway_router_latency_ms_bucket",
             Labels(m, &v,
                    absl::StrCat("le=\"",
                                 PrometheusValue(kPrometheusLatencyBoundsMs[i]),
                                 "\"")),
             double(v.latency_le[i]));
    }
    Sample(&out, "slipway_router_latency_ms_bucket",
           Labels(m, &v, "le=\"+Inf\""), double(v.latency_count));
    Sample(&out, "slipway_router_latency_ms_sum", Labels(m, &v),
           v.latency_sum_ms);
    Sample(&out, "slipway_router_latency_ms_count", Labels(m, &v),
           double(v.latency_count));
  }

  const std::string labels = Labels(m, nullptr);
  const auto gauge = [&](std::string_view name, std::string_view type,
                         std::string_view help, double value) {
    Header(&out, name, type, help);
    Sample(&out, name, labels, value);
  };
  gauge("slipway_router_generation", "gauge",
        "Routing generation of the weights in force.", double(m.generation));
  gauge("slipway_router_shadow", "gauge",
        "1 while the candidate is mirrored (shadow stage), else 0.",
        m.shadow ? 1 : 0);
  gauge("slipway_router_last_refresh_timestamp_seconds", "gauge",
        "Unix time of the last successful routing read (0: never).",
        m.last_refresh_unix_seconds);
  gauge("slipway_router_refresh_failures", "gauge",
        "Routing reads failed in a row (>0: serving the last weights seen).",
        double(m.consecutive_refresh_failures));
  gauge("slipway_router_emergency_stop", "gauge",
        "1 when the last check saw the emergency stop set.",
        m.emergency_stop ? 1 : 0);
  gauge("slipway_router_windows_persisted_total", "counter",
        "Outcome windows written to the store.", double(m.windows_persisted));
  gauge("slipway_router_labels_unmatched_total", "counter",
        "Labels whose prediction was not in the label table.",
        double(m.labels_unmatched));
  gauge("slipway_router_predictions_evicted_total", "counter",
        "Predictions evicted from the label table before their label.",
        double(m.predictions_evicted));
  return out;
}

}  // namespace slipway::internal_rollout
