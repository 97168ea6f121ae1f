#include "model.h"

#include <cmath>
#include <fstream>
#include <sstream>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"

namespace fraud_service {
namespace {

absl::Status Bad(const std::string& path, int line, std::string_view what) {
  return absl::InvalidArgumentError(
      absl::StrCat(path, ":", line, ": ", std::string(what)));
}

}  // namespace

absl::StatusOr<Model> Model::Load(const std::string& path) {
  std::ifstream in(path);
  if (!in) return absl::NotFoundError(absl::StrCat("cannot read ", path));
  Model m;
  std::string line;
  int n = 0;
  bool have_bias = false;
  while (std::getline(in, line)) {
    ++n;
    std::istringstream words(line);
    std::string key;
    if (!(words >> key) || key[0] == '#') continue;
    if (n == 1) {
      int format = 0;
      if (key != "slipway-demo-model" || !(words >> format) || format != 1) {
        return Bad(path, n, "not a slipway-demo-model 1 file");
      }
      continue;
    }
    if (key == "features") {
      for (std::string f; words >> f;) m.features_.push_back(f);
      continue;
    }
    std::vector<double>* row = key == "mean"      ? &m.mean_
                               : key == "scale"   ? &m.scale_
                               : key == "weights" ? &m.weights_
                                                  : nullptr;
    if (row != nullptr) {
      for (double v; words >> v;) row->push_back(v);
      continue;
    }
    if (key == "bias" && (words >> m.bias_)) {
      have_bias = true;
      continue;
    }
    int flag = 0;
    if (key == "impute" && (words >> flag)) {
      m.impute_ = flag != 0;
      continue;
    }
    return Bad(path, n, absl::StrCat("unexpected line '", line, "'"));
  }
  const size_t k = m.features_.size();
  if (k == 0 || !have_bias || m.mean_.size() != k || m.scale_.size() != k ||
      m.weights_.size() != k) {
    return Bad(path, n,
               "needs features, and mean, scale and weights with one number "
               "per feature, and a bias");
  }
  for (double s : m.scale_) {
    if (!(s > 0)) return Bad(path, n, "every scale must be > 0");
  }
  return m;
}

double Model::Score(std::span<const double> x) const {
  double z = bias_;
  for (size_t i = 0; i < weights_.size(); ++i) {
    double v = i < x.size() ? x[i] : NAN;
    if (std::isnan(v) && impute_) v = mean_[i];
    z += weights_[i] * (v - mean_[i]) / scale_[i];
  }
  return 1.0 / (1.0 + std::exp(-z));
}

}  // namespace fraud_service
