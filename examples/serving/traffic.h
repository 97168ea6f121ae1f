// Synthetic card transactions for the demo: the same generator as
// python/slipway/demo/data.py (same distributions and the same true fraud
// model), so the models the demo trains in Python meet the traffic they
// were trained for. Only the random streams differ.
//
//   log_amount     log of the amount in dollars: N(3.5, 0.9)
//   velocity       transactions in the last hour: N(2, 1)
//   account_age    years: U(0, 10)
//   merchant_risk  U(0, 1); missing (NaN) with probability missing_rate
//   hour           U(0, 24)
//
// P(fraud) = sigmoid(-0.6 + 1.1 z(log_amount) + 0.8 z(velocity)
//                    - 0.6 z(account_age) + 1.4 z(merchant_risk)), where z
// standardises by the generating distribution; a missing merchant_risk
// still has a true value (the label uses it), it is just not sent.
#ifndef SLIPWAY_EXAMPLES_SERVING_TRAFFIC_H_
#define SLIPWAY_EXAMPLES_SERVING_TRAFFIC_H_

#include <array>
#include <cstdint>
#include <random>
#include <string_view>

namespace fraud_service {

inline constexpr std::array<std::string_view, 5> kFeatureNames = {
    "log_amount", "velocity", "account_age", "merchant_risk", "hour"};

struct Transaction {
  std::array<double, 5> features;  // in kFeatureNames order; NaN = missing
  bool fraud = false;              // the label that arrives later
};

class TrafficGenerator {
 public:
  TrafficGenerator(uint64_t seed, double missing_rate)
      : rng_(seed), missing_rate_(missing_rate) {}
  Transaction Next();

 private:
  std::mt19937_64 rng_;
  double missing_rate_;
};

}  // namespace fraud_service

#endif  // SLIPWAY_EXAMPLES_SERVING_TRAFFIC_H_
