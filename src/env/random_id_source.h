// The IdSource of Env::Default(): 128 random bits per id, written as 32
// lowercase hex digits.
//
// Seeding: from the OS (getrandom(2), else /dev/urandom), never from Abseil's
// process-wide seed pool. The reason is fork(): a forked child inherits a
// copy of that pool, so two children forked from one parent (PyTorch
// DataLoader workers, multiprocessing) that reseed from it would draw the
// same seed and then the same ids. Each call compares getpid() with the pid
// that seeded the generator and reseeds from the OS when they differ.
//
// Thread-safety: thread-safe (one generator behind an absl::Mutex). Forking
// while another thread is inside NewId() leaves the child's mutex held, as
// for any mutex; the child must not then call NewId().
#ifndef SLIPWAY_SRC_ENV_RANDOM_ID_SOURCE_H_
#define SLIPWAY_SRC_ENV_RANDOM_ID_SOURCE_H_

#include <sys/types.h>

#include <string>

#include "absl/base/thread_annotations.h"
#include "absl/random/random.h"
#include "absl/synchronization/mutex.h"
#include "slipway/env.h"

namespace slipway::internal_env {

class RandomIdSource final : public IdSource {
 public:
  // Seeds from the OS.
  RandomIdSource();

  RandomIdSource(const RandomIdSource&) = delete;
  RandomIdSource& operator=(const RandomIdSource&) = delete;

  std::string NewId() override;

 private:
  // Replaces the generator with one seeded from the OS and records the pid.
  void Reseed() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);

  absl::Mutex mu_;
  absl::BitGen gen_ ABSL_GUARDED_BY(mu_);
  pid_t seeded_pid_ ABSL_GUARDED_BY(mu_);
};

}  // namespace slipway::internal_env

#endif  // SLIPWAY_SRC_ENV_RANDOM_ID_SOURCE_H_
