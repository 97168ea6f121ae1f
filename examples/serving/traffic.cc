#include "traffic.h"

#include <cmath>
#include <limits>

namespace fraud_service {

Transaction TrafficGenerator::Next() {
  std::normal_distribution<double> normal(0.0, 1.0);
  std::uniform_real_distribution<double> unit(0.0, 1.0);
  const double log_amount = 3.5 + 0.9 * normal(rng_);
  const double velocity = 2.0 + normal(rng_);
  const double age = 10.0 * unit(rng_);
  const double risk = unit(rng_);
  const double hour = 24.0 * unit(rng_);
  const double logit = -0.6 + 1.1 * (log_amount - 3.5) / 0.9 +
                       0.8 * (velocity - 2.0) -
                       0.6 * (age - 5.0) / std::sqrt(100.0 / 12.0) +
                       1.4 * (risk - 0.5) / std::sqrt(1.0 / 12.0);
  Transaction t;
  t.features = {log_amount, velocity, age,
                unit(rng_) < missing_rate_
                    ? std::numeric_limits<double>::quiet_NaN()
                    : risk,
                hour};
  t.fraud = unit(rng_) < 1.0 / (1.0 + std::exp(-logit));
  return t;
}

}  // namespace fraud_service
