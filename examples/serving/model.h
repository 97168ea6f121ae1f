// A logistic-regression fraud model as the demo's training script writes it
// (python/slipway/demo/ trains it with numpy and registers the file as the
// version's artifact "model.txt"). The format is plain text, one field per
// line, so a service needs no extra parser:
//
//   slipway-demo-model 1
//   features log_amount velocity account_age merchant_risk hour
//   mean     0.01 -0.02 ...            (one number per feature)
//   scale    1.00  0.99 ...            (standard deviations, > 0)
//   weights  1.30 -0.70 ...
//   bias     -2.1
//   impute   1                          (1: a missing value is the mean)
//
// Predict standardises the features, applies the weights and a sigmoid. A
// missing input (NaN) is replaced by the feature's mean when `impute` is 1;
// otherwise the score is NaN, which the service reports as an error.
#ifndef SLIPWAY_EXAMPLES_SERVING_MODEL_H_
#define SLIPWAY_EXAMPLES_SERVING_MODEL_H_

#include <span>
#include <string>
#include <vector>

#include "absl/status/statusor.h"

namespace fraud_service {

class Model {
 public:
  // Reads a model file. InvalidArgument names the line that is wrong.
  static absl::StatusOr<Model> Load(const std::string& path);

  // The fraud probability of one request (features in the model's order),
  // NaN when an input is missing and the model does not impute.
  double Score(std::span<const double> features) const;

  const std::vector<std::string>& features() const { return features_; }

 private:
  std::vector<std::string> features_;
  std::vector<double> mean_, scale_, weights_;
  double bias_ = 0;
  bool impute_ = false;
};

}  // namespace fraud_service

#endif  // SLIPWAY_EXAMPLES_SERVING_MODEL_H_
