#include "src/env/random_id_source.h"

#include <fcntl.h>
#include <sys/random.h>
#include <unistd.h>

#include <array>
#include <cerrno>
#include <cstddef>
#include <cstdint>
#include <random>
#include <string>

#include "absl/random/distributions.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"

namespace slipway::internal_env {
namespace {

// Fills `bytes` from getrandom(2), falling back to /dev/urandom (old kernels,
// seccomp filters). Returns false if neither delivered every byte.
bool ReadOsEntropy(unsigned char* bytes, size_t size) {
  size_t got = 0;
  while (got < size) {
    const ssize_t n = ::getrandom(bytes + got, size - got, 0);
    if (n > 0) {
      got += static_cast<size_t>(n);
    } else if (n < 0 && errno == EINTR) {
      continue;
    } else {
      break;
    }
  }
  if (got == size) return true;

  int fd;
  do {
    fd = ::open("/dev/urandom", O_RDONLY | O_CLOEXEC);
  } while (fd < 0 && errno == EINTR);
  if (fd < 0) return false;
  got = 0;
  while (got < size) {
    const ssize_t n = ::read(fd, bytes + got, size - got);
    if (n > 0) {
      got += static_cast<size_t>(n);
    } else if (n < 0 && errno == EINTR) {
      continue;
    } else {
      break;
    }
  }
  ::close(fd);
  return got == size;
}

}  // namespace

RandomIdSource::RandomIdSource() {
  absl::MutexLock lock(&mu_);
  Reseed();
}

void RandomIdSource::Reseed() {
  // 256 bits of seed for a 128-bit id space.
  std::array<uint32_t, 8> words{};
  if (!ReadOsEntropy(reinterpret_cast<unsigned char*>(words.data()),
                     sizeof(words))) {
    // No OS entropy at all (should not happen on Linux). NewId cannot fail,
    // so fall back to a seed that still differs between processes and
    // between parent and child: Abseil's pool, the pid and the time.
    absl::BitGen pool_seeded;
    for (uint32_t& w : words) w = absl::Uniform<uint32_t>(pool_seeded);
    words[0] ^= static_cast<uint32_t>(::getpid());
    const int64_t nanos = absl::ToUnixNanos(absl::Now());
    words[1] ^= static_cast<uint32_t>(nanos);
    words[2] ^= static_cast<uint32_t>(static_cast<uint64_t>(nanos) >> 32);
  }
  std::seed_seq seed(words.begin(), words.end());
  gen_ = absl::BitGen(seed);
  seeded_pid_ = ::getpid();
}

std::string RandomIdSource::NewId() {
  absl::MutexLock lock(&mu_);
  // getpid() is a cheap system call (glibc no longer caches it), and unlike a
  // pthread_atfork handler it needs no global state.
  if (::getpid() != seeded_pid_) Reseed();
  const uint64_t high = absl::Uniform<uint64_t>(gen_);
  const uint64_t low = absl::Uniform<uint64_t>(gen_);

  static constexpr char kHex[] = "0123456789abcdef";
  std::string id(32, '0');
  for (int i = 0; i < 16; ++i) {
    id[15 - i] = kHex[(high >> (4 * i)) & 0xF];
    id[31 - i] = kHex[(low >> (4 * i)) & 0xF];
  }
  return id;
}

}  // namespace slipway::internal_env
