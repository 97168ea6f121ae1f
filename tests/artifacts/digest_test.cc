#include "src/artifacts/digest.h"

#include <string>
#include <string_view>

#include "absl/container/flat_hash_set.h"
#include "absl/status/status.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/artifacts/test_util.h"

namespace slipway::internal_artifacts {
namespace {

using ::slipway::artifacts_test::MessageOf;
using ::slipway::artifacts_test::ReasonOf;
using ::slipway::artifacts_test::ValueOf;
using ::testing::HasSubstr;

constexpr char kEmpty[] =
    "sha256:e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855";
constexpr char kAbc[] =
    "sha256:ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad";

std::string HashOf(std::string_view data) {
  absl::StatusOr<Digest> d = Sha256Of(data);
  EXPECT_TRUE(d.ok()) << d.status();
  return d.ok() ? d->ToString() : "";
}

TEST(ArtifactSha256Test, KnownVectors) {
  EXPECT_EQ(HashOf(""), kEmpty);
  EXPECT_EQ(HashOf("abc"), kAbc);
  EXPECT_EQ(HashOf("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq"),
            "sha256:248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419"
            "db06c1");
  EXPECT_EQ(HashOf(std::string(1000000, 'a')),
            "sha256:cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7"
            "112cd0");
}

TEST(ArtifactSha256Test, StreamingInPiecesEqualsOneShot) {
  const std::string data = artifacts_test::PseudoRandomBytes(100003, 7);
  absl::StatusOr<Sha256> hasher = Sha256::Create();
  ASSERT_TRUE(hasher.ok()) << hasher.status();
  for (size_t i = 0; i < data.size(); i += 997) {
    hasher->Update(std::string_view(data).substr(i, 997));
  }
  absl::StatusOr<Digest> streamed = hasher->Finish();
  ASSERT_TRUE(streamed.ok());
  EXPECT_EQ(streamed->ToString(), HashOf(data));
}

TEST(ArtifactDigestTest, ParseRoundTrips) {
  absl::StatusOr<Digest> d = ParseDigest(kAbc);
  ASSERT_TRUE(d.ok()) << d.status();
  EXPECT_EQ(d->ToString(), kAbc);
  EXPECT_EQ(d->Hex(), std::string(kAbc).substr(7));
  EXPECT_EQ(d->bytes()[0], 0xba);
  EXPECT_EQ(d->bytes()[31], 0xad);
  EXPECT_EQ(*d, *Sha256Of("abc"));
  EXPECT_NE(*d, *Sha256Of(""));
  absl::flat_hash_set<Digest> set = {*d, *Sha256Of("abc"), *Sha256Of("")};
  EXPECT_EQ(set.size(), 2u);
}

struct BadDigest {
  std::string text;
  std::string says;  // A part of the message.
};

TEST(ArtifactDigestTest, ParseRejectsBadDigestsWithClearErrors) {
  const std::string hex = std::string(kAbc).substr(7);
  const BadDigest cases[] = {
      {"", "it is empty"},
      {hex, "the \"sha256:\" prefix is missing"},
      {"md5:d41d8cd98f00b204e9800998ecf8427e", "\"md5\" is not supported"},
      {"SHA256:" + hex, "\"SHA256\" is not supported"},
      {"sha256:", "0 hexadecimal digits"},
      {"sha256:" + hex.substr(1), "63 hexadecimal digits"},
      {"sha256:" + hex + "0", "65 hexadecimal digits"},
      {"sha256:BA" + hex.substr(2), "uppercase 'B' at position 8"},
      {"sha256:" + hex.substr(0, 10) + "g" + hex.substr(11),
       "'g' at position 18 is not a hexadecimal digit"},
      {" sha256:" + hex, "\" sha256\" is not supported"},
      {"digest", "does not start with \"sha256:\""},
      {"sha256:" + hex + "\n", "byte 0x0a at position 72"},
      {"sha256:" + hex.substr(0, 63) + std::string(1, '\0'),
       "byte 0x00 at position 71"},
      {"sha256: " + hex.substr(1), "' ' at position 8"},
  };
  for (const BadDigest& c : cases) {
    SCOPED_TRACE(c.text);
    absl::StatusOr<Digest> d = ParseDigest(c.text);
    ASSERT_FALSE(d.ok());
    EXPECT_EQ(d.status().code(), absl::StatusCode::kInvalidArgument);
    EXPECT_EQ(ReasonOf(d.status()), "ARTIFACT_DIGEST_INVALID");
    EXPECT_EQ(ValueOf(d.status()), c.text);
    EXPECT_THAT(MessageOf(d.status()), HasSubstr(c.says));
    EXPECT_THAT(MessageOf(d.status()), HasSubstr("e.g. \"sha256:"));
  }
}

}  // namespace
}  // namespace slipway::internal_artifacts
