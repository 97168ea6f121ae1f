// slipway_like / slipway_ilike: MLflow's case-sensitive LIKE and ASCII
// case-insensitive ILIKE, on UTF-8, as a pure function and through SQL.
#include "src/storage/sqlite/functions.h"

#include <memory>
#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "gtest/gtest.h"
#include "src/storage/sqlite/database.h"
#include "src/storage/sqlite/statement.h"

namespace slipway::internal_storage {
namespace {

TEST(SqliteTrackingLikeTest, Wildcards) {
  EXPECT_TRUE(LikeMatch("", "", false));
  EXPECT_TRUE(LikeMatch("", "%", false));
  EXPECT_TRUE(LikeMatch("", "%%", false));
  EXPECT_FALSE(LikeMatch("", "_", false));
  EXPECT_TRUE(LikeMatch("abc", "abc", false));
  EXPECT_FALSE(LikeMatch("abc", "ab", false));
  EXPECT_FALSE(LikeMatch("ab", "abc", false));
  EXPECT_TRUE(LikeMatch("abc", "a%", false));
  EXPECT_TRUE(LikeMatch("abc", "%c", false));
  EXPECT_TRUE(LikeMatch("abc", "%b%", false));
  EXPECT_TRUE(LikeMatch("abc", "a_c", false));
  EXPECT_FALSE(LikeMatch("abbc", "a_c", false));
  EXPECT_TRUE(LikeMatch("abbc", "a__c", false));
  EXPECT_TRUE(LikeMatch("aXbXc", "%X%X%", false));
  EXPECT_FALSE(LikeMatch("aXbc", "%X%X%", false));
  EXPECT_TRUE(LikeMatch("mississippi", "%iss%ppi", false));
  EXPECT_TRUE(LikeMatch("mississippi", "m%s_s%i", false));
  EXPECT_FALSE(LikeMatch("mississippi", "m%s_x%i", false));
  // No escape character: a backslash is itself.
  EXPECT_TRUE(LikeMatch("a\\b", "a\\b", false));
  EXPECT_FALSE(LikeMatch("a%b", "a\\%c", false));
}

TEST(SqliteTrackingLikeTest, CaseRules) {
  EXPECT_FALSE(LikeMatch("Adam", "adam", false));
  EXPECT_TRUE(LikeMatch("Adam", "Ad%", false));
  EXPECT_FALSE(LikeMatch("Adam", "ad%", false));
  EXPECT_TRUE(LikeMatch("Adam", "adam", true));
  EXPECT_TRUE(LikeMatch("ADAM", "%da_", true));
  // ILIKE folds ASCII only (as MLflow's SQL stores on SQLite).
  EXPECT_FALSE(LikeMatch("\xC3\x89t\xC3\xA9", "\xC3\xA9t\xC3\xA9", true));
  EXPECT_TRUE(LikeMatch("\xC3\x89T\xC3\xA9", "\xC3\x89t\xC3\xA9", true));
}

TEST(SqliteTrackingLikeTest, UnderscoreIsOneCodePoint) {
  // "é" is two bytes, "€" three, "😀" four: each is one '_'.
  EXPECT_TRUE(LikeMatch("caf\xC3\xA9", "caf_", false));
  EXPECT_TRUE(LikeMatch("5\xE2\x82\xAC", "__", false));
  EXPECT_TRUE(LikeMatch("\xF0\x9F\x98\x80!", "_!", false));
  EXPECT_FALSE(LikeMatch("\xF0\x9F\x98\x80!", "__!", false));
  EXPECT_TRUE(LikeMatch("a\xC3\xA9z", "%\xC3\xA9_", false));
  EXPECT_TRUE(LikeMatch("\xC3\xA9\xC3\xA9x", "%_x", false));
}

TEST(SqliteTrackingLikeTest, NoExponentialBacktracking) {
  const std::string text(20'000, 'a');
  EXPECT_FALSE(LikeMatch(text, "%a%a%a%a%a%a%a%a%b", false));
}

TEST(SqliteTrackingLikeTest, RegisteredOnEveryConnection) {
  absl::StatusOr<std::unique_ptr<Database>> db =
      Database::Open(":memory:", {}, nullptr);
  ASSERT_TRUE(db.ok()) << db.status();
  absl::Status s = (*db)->RunReadTransaction([](Transaction& tx) {
    absl::StatusOr<Statement> stmt = tx.Prepare(
        "SELECT slipway_like('Adam', 'ad%'), slipway_ilike('Adam', 'ad%'), "
        "slipway_like(NULL, 'a') IS NULL, 'Adam' LIKE 'ad%'");
    if (!stmt.ok()) return stmt.status();
    EXPECT_TRUE(*stmt->Step());
    EXPECT_EQ(stmt->ColumnInt64(0), 0);
    EXPECT_EQ(stmt->ColumnInt64(1), 1);
    EXPECT_EQ(stmt->ColumnInt64(2), 1);
    EXPECT_EQ(stmt->ColumnInt64(3), 1);  // SQLite's own LIKE: untouched
    return absl::OkStatus();
  });
  EXPECT_TRUE(s.ok()) << s;
}

}  // namespace
}  // namespace slipway::internal_storage
