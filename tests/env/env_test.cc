#include "slipway/env.h"

#include "gtest/gtest.h"
#include "slipway/testing/fake_clock.h"
#include "slipway/testing/in_memory_file_system.h"
#include "slipway/testing/sequential_id_source.h"

namespace slipway {
namespace {

TEST(EnvTest, DefaultHasEveryMember) {
  const Env env = Env::Default();
  EXPECT_NE(env.clock, nullptr);
  EXPECT_NE(env.file_system, nullptr);
  EXPECT_NE(env.id_source, nullptr);
}

TEST(EnvTest, DefaultReturnsTheSameObjectsEveryTime) {
  const Env a = Env::Default();
  const Env b = Env::Default();
  EXPECT_EQ(a.clock, b.clock);
  EXPECT_EQ(a.file_system, b.file_system);
  EXPECT_EQ(a.id_source, b.id_source);
}

TEST(EnvTest, WithDefaultsFillsOnlyNullMembers) {
  testing::FakeClock clock;
  Env env;
  env.clock = &clock;
  const Env filled = env.WithDefaults();
  EXPECT_EQ(filled.clock, &clock);
  EXPECT_EQ(filled.file_system, Env::Default().file_system);
  EXPECT_EQ(filled.id_source, Env::Default().id_source);
}

TEST(EnvTest, WithDefaultsKeepsAFullyFakeEnv) {
  testing::FakeClock clock;
  testing::InMemoryFileSystem files;
  testing::SequentialIdSource ids;
  const Env env{&clock, &files, &ids};
  const Env filled = env.WithDefaults();
  EXPECT_EQ(filled.clock, &clock);
  EXPECT_EQ(filled.file_system, &files);
  EXPECT_EQ(filled.id_source, &ids);
}

TEST(EnvTest, WithDefaultsOfEmptyEnvIsDefault) {
  const Env filled = Env{}.WithDefaults();
  const Env defaults = Env::Default();
  EXPECT_EQ(filled.clock, defaults.clock);
  EXPECT_EQ(filled.file_system, defaults.file_system);
  EXPECT_EQ(filled.id_source, defaults.id_source);
}

}  // namespace
}  // namespace slipway
