// Statement: the per-connection cache, typed binding and column reads, and
// the sortable double encoding through SQLite.
#include "src/storage/sqlite/statement.h"

#include <bit>
#include <cmath>
#include <cstdint>
#include <limits>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "slipway/testing/fake_clock.h"
#include "src/storage/sqlite/database.h"
#include "tests/storage/storage_test_util.h"

namespace slipway::internal_storage {
namespace {

using ::slipway::storage_test::MessageOf;
using ::slipway::storage_test::ReasonOf;
using ::slipway::storage_test::TempDir;
using ::testing::HasSubstr;
using Limits = std::numeric_limits<double>;

class SqliteStatementTest : public ::testing::Test {
 protected:
  void SetUp() override {
    absl::StatusOr<std::unique_ptr<Database>> db =
        Database::Open(Database::kMemory, {}, &clock_);
    ASSERT_TRUE(db.ok()) << db.status();
    db_ = std::move(*db);
    ASSERT_TRUE(db_->RunInTransaction([](Transaction& tx) {
                     return tx.Execute(
                         "CREATE TABLE t(i INTEGER, d REAL, s TEXT, b BLOB, "
                         "a ANY) STRICT");
                   })
                    .ok());
  }

  testing::FakeClock clock_;
  std::unique_ptr<Database> db_;
};

TEST_F(SqliteStatementTest, CacheReusesThePreparedStatement) {
  const char kInsert[] = "INSERT INTO t(i) VALUES (?1)";
  int64_t after_first = 0;
  ASSERT_TRUE(db_->RunInTransaction([&](Transaction& tx) {
                   for (int i = 0; i < 3; ++i) {
                     absl::StatusOr<Statement> stmt = tx.Prepare(kInsert);
                     if (!stmt.ok()) return stmt.status();
                     stmt->BindInt64(1, i);
                     if (absl::Status s = stmt->Run(); !s.ok()) return s;
                     if (i == 0) after_first = db_->statements_prepared();
                   }
                   return absl::OkStatus();
                 })
                  .ok());
  EXPECT_EQ(db_->statements_prepared(), after_first);
  const size_t cached = db_->cached_statement_count();
  // And across transactions.
  ASSERT_TRUE(db_->RunInTransaction([&](Transaction& tx) {
                   absl::StatusOr<Statement> stmt = tx.Prepare(kInsert);
                   if (!stmt.ok()) return stmt.status();
                   stmt->BindInt64(1, 9);
                   return stmt->Run();
                 })
                  .ok());
  EXPECT_EQ(db_->statements_prepared(), after_first);
  EXPECT_EQ(db_->cached_statement_count(), cached);
}

TEST_F(SqliteStatementTest, SameSqlWhileInUseGetsAPrivateStatement) {
  const char kSelect[] = "SELECT i FROM t WHERE i >= ?1 ORDER BY i";
  ASSERT_TRUE(db_->RunInTransaction([](Transaction& tx) {
                   return tx.Execute("INSERT INTO t(i) VALUES (1), (2)");
                 })
                  .ok());
  std::vector<std::string> pairs;
  absl::Status status = db_->RunReadTransaction([&](Transaction& tx) {
    absl::StatusOr<Statement> outer = tx.Prepare(kSelect);
    if (!outer.ok()) return outer.status();
    outer->BindInt64(1, 0);
    while (true) {
      absl::StatusOr<bool> row = outer->Step();
      if (!row.ok()) return row.status();
      if (!*row) break;
      absl::StatusOr<Statement> inner = tx.Prepare(kSelect);
      if (!inner.ok()) return inner.status();
      inner->BindInt64(1, outer->ColumnInt64(0));
      while (true) {
        absl::StatusOr<bool> inner_row = inner->Step();
        if (!inner_row.ok()) return inner_row.status();
        if (!*inner_row) break;
        pairs.push_back(std::to_string(outer->ColumnInt64(0)) + "-" +
                        std::to_string(inner->ColumnInt64(0)));
      }
    }
    return absl::OkStatus();
  });
  ASSERT_TRUE(status.ok()) << status;
  EXPECT_THAT(pairs, ::testing::ElementsAre("1-1", "1-2", "2-2"));
}

TEST_F(SqliteStatementTest, BindsAndReadsEveryType) {
  const std::string blob("\0\x01\xff zero-length-safe", 20);
  const std::string text = "caf\xc3\xa9 \xe2\x9c\x93";  // UTF-8.
  ASSERT_TRUE(db_->RunInTransaction([&](Transaction& tx) {
                   absl::StatusOr<Statement> stmt = tx.Prepare(
                       "INSERT INTO t(i, d, s, b, a) VALUES (?1, ?2, ?3, ?4, "
                       "?5)");
                   if (!stmt.ok()) return stmt.status();
                   stmt->BindInt64(1, std::numeric_limits<int64_t>::min());
                   stmt->BindDouble(2, 0.1);
                   stmt->BindText(3, text);
                   stmt->BindBlob(4, blob);
                   stmt->BindNull(5);
                   if (absl::Status s = stmt->Run(); !s.ok()) return s;
                   stmt->Reset();
                   stmt->BindInt64(1, 2);
                   stmt->BindDouble(2, -Limits::infinity());
                   stmt->BindText(3, "");
                   stmt->BindBlob(4, "");  // Empty, not NULL.
                   stmt->BindInt64(5, 5);
                   return stmt->Run();
                 })
                  .ok());
  absl::Status status = db_->RunReadTransaction([&](Transaction& tx) {
    absl::StatusOr<Statement> stmt =
        tx.Prepare("SELECT i, d, s, b, a FROM t ORDER BY i");
    if (!stmt.ok()) return stmt.status();
    absl::StatusOr<bool> row = stmt->Step();
    EXPECT_TRUE(row.ok() && *row);
    EXPECT_EQ(stmt->ColumnCount(), 5);
    EXPECT_EQ(stmt->TypeOf(0), ColumnType::kInteger);
    EXPECT_EQ(stmt->ColumnInt64(0), std::numeric_limits<int64_t>::min());
    EXPECT_EQ(stmt->TypeOf(1), ColumnType::kFloat);
    EXPECT_EQ(stmt->ColumnDouble(1), 0.1);
    EXPECT_EQ(stmt->TypeOf(2), ColumnType::kText);
    EXPECT_EQ(stmt->ColumnText(2), text);
    EXPECT_EQ(stmt->TypeOf(3), ColumnType::kBlob);
    EXPECT_EQ(stmt->ColumnBlob(3), blob);
    EXPECT_TRUE(stmt->IsNull(4));
    EXPECT_EQ(stmt->TypeOf(4), ColumnType::kNull);
    EXPECT_EQ(stmt->ColumnText(4), "");
    row = stmt->Step();
    EXPECT_TRUE(row.ok() && *row);
    EXPECT_EQ(stmt->ColumnDouble(1), -Limits::infinity());
    EXPECT_EQ(stmt->TypeOf(3), ColumnType::kBlob);
    EXPECT_EQ(stmt->ColumnBlob(3), "");
    EXPECT_EQ(stmt->ColumnInt64(4), 5);
    row = stmt->Step();
    EXPECT_TRUE(row.ok() && !*row);
    return absl::OkStatus();
  });
  EXPECT_TRUE(status.ok()) << status;
}

TEST_F(SqliteStatementTest, NanBoundAsARealIsRefusedNotStoredAsNull) {
  absl::Status status = db_->RunInTransaction([](Transaction& tx) {
    absl::StatusOr<Statement> stmt = tx.Prepare("INSERT INTO t(d) VALUES (?1)");
    if (!stmt.ok()) return stmt.status();
    stmt->BindDouble(1, Limits::quiet_NaN());
    return stmt->Run();
  });
  EXPECT_EQ(status.code(), absl::StatusCode::kInternal);
  EXPECT_EQ(ReasonOf(status), "STORE_NAN_AS_REAL");
  EXPECT_THAT(MessageOf(status), HasSubstr("BindSortableDouble"));
}

TEST_F(SqliteStatementTest, BindErrorIsReturnedByStep) {
  absl::Status status = db_->RunInTransaction([](Transaction& tx) {
    absl::StatusOr<Statement> stmt = tx.Prepare("INSERT INTO t(i) VALUES (?1)");
    if (!stmt.ok()) return stmt.status();
    stmt->BindInt64(3, 1);  // No parameter 3.
    stmt->BindInt64(1, 1);
    return stmt->Run();
  });
  EXPECT_EQ(status.code(), absl::StatusCode::kInternal);
  EXPECT_THAT(MessageOf(status), HasSubstr("parameter 3"));
  EXPECT_THAT(MessageOf(status), HasSubstr("SQLITE_RANGE"));
}

TEST_F(SqliteStatementTest, SqlThatDoesNotCompileIsInternalQuotingIt) {
  absl::Status status = db_->RunReadTransaction(
      [](Transaction& tx) { return tx.Prepare("SELEKT 1").status(); });
  EXPECT_EQ(status.code(), absl::StatusCode::kInternal);
  EXPECT_EQ(ReasonOf(status), "STORE_ERROR");
  EXPECT_THAT(MessageOf(status), HasSubstr("SELEKT 1"));
  EXPECT_THAT(MessageOf(status), HasSubstr(":memory:"));
}

TEST_F(SqliteStatementTest, PrepareTakesExactlyOneStatement) {
  absl::Status two = db_->RunReadTransaction([](Transaction& tx) {
    return tx.Prepare("SELECT 1; SELECT 2").status();
  });
  EXPECT_EQ(two.code(), absl::StatusCode::kInternal);
  EXPECT_THAT(MessageOf(two), HasSubstr("more than one statement"));
  absl::Status trailing = db_->RunReadTransaction([](Transaction& tx) {
    return tx.Prepare("SELECT 1;  \n-- a comment\n/* another */ ;").status();
  });
  EXPECT_TRUE(trailing.ok()) << trailing;
}

TEST_F(SqliteStatementTest, WritingStatementInAReadTransactionIsRefused) {
  absl::Status status = db_->RunReadTransaction([](Transaction& tx) {
    return tx.Prepare("INSERT INTO t(i) VALUES (1)").status();
  });
  EXPECT_EQ(status.code(), absl::StatusCode::kInternal);
  EXPECT_EQ(ReasonOf(status), "WRITE_IN_READ_TRANSACTION");
  absl::Status script = db_->RunReadTransaction(
      [](Transaction& tx) { return tx.Execute("SELECT 1; DELETE FROM t"); });
  EXPECT_EQ(ReasonOf(script), "WRITE_IN_READ_TRANSACTION");
}

// The reason summaries use BindSortableDouble: a REAL column turns NaN into
// NULL and -0.0 into +0.0 once the row is on disk.
TEST(SqliteSortableDoubleTest, SpecialValuesRoundTripThroughAFileBitExact) {
  TempDir dir;
  testing::FakeClock clock;
  const std::vector<double> values = {
      Limits::quiet_NaN(),
      std::bit_cast<double>(uint64_t{0xfff8dead0000beefULL}),
      Limits::infinity(),
      -Limits::infinity(),
      -0.0,
      0.0,
      Limits::denorm_min(),
      -123.456};
  {
    absl::StatusOr<std::unique_ptr<Database>> db =
        Database::Open(dir.File("s.db"), {}, &clock);
    ASSERT_TRUE(db.ok()) << db.status();
    ASSERT_TRUE((*db)
                    ->RunInTransaction([&](Transaction& tx) {
                      absl::Status s = tx.Execute(
                          "CREATE TABLE v(n INTEGER PRIMARY KEY, x BLOB, "
                          "r REAL) STRICT");
                      if (!s.ok()) return s;
                      absl::StatusOr<Statement> stmt = tx.Prepare(
                          "INSERT INTO v(n, x, r) VALUES (?1, ?2, ?3)");
                      if (!stmt.ok()) return stmt.status();
                      for (size_t i = 0; i < values.size(); ++i) {
                        stmt->Reset();
                        stmt->BindInt64(1, static_cast<int64_t>(i));
                        stmt->BindSortableDouble(2, values[i]);
                        if (!std::isnan(values[i])) {
                          stmt->BindDouble(3, values[i]);
                        }
                        if (s = stmt->Run(); !s.ok()) return s;
                      }
                      return absl::OkStatus();
                    })
                    .ok());
  }
  absl::StatusOr<std::unique_ptr<Database>> db =
      Database::Open(dir.File("s.db"), {}, &clock);
  ASSERT_TRUE(db.ok());
  std::vector<uint64_t> bits;
  bool real_kept_negative_zero = true;
  std::vector<int64_t> order;
  ASSERT_TRUE((*db)
                  ->RunReadTransaction([&](Transaction& tx) {
                    absl::StatusOr<Statement> stmt =
                        tx.Prepare("SELECT x, r FROM v ORDER BY n");
                    if (!stmt.ok()) return stmt.status();
                    while (true) {
                      absl::StatusOr<bool> row = stmt->Step();
                      if (!row.ok()) return row.status();
                      if (!*row) break;
                      absl::StatusOr<double> x = stmt->ColumnSortableDouble(0);
                      if (!x.ok()) return x.status();
                      bits.push_back(std::bit_cast<uint64_t>(*x));
                      if (bits.size() == 5) {  // -0.0
                        real_kept_negative_zero =
                            std::signbit(stmt->ColumnDouble(1));
                      }
                    }
                    // SQL ordering on the encoded bytes is numeric order.
                    absl::StatusOr<Statement> sorted = tx.Prepare(
                        "SELECT n FROM v WHERE x BETWEEN ?1 AND ?2 ORDER BY "
                        "x");
                    if (!sorted.ok()) return sorted.status();
                    sorted->BindSortableDouble(1, -Limits::infinity());
                    sorted->BindSortableDouble(2, Limits::infinity());
                    while (true) {
                      absl::StatusOr<bool> row = sorted->Step();
                      if (!row.ok()) return row.status();
                      if (!*row) break;
                      order.push_back(sorted->ColumnInt64(0));
                    }
                    return absl::OkStatus();
                  })
                  .ok());
  ASSERT_EQ(bits.size(), values.size());
  for (size_t i = 0; i < values.size(); ++i) {
    EXPECT_EQ(bits[i], std::bit_cast<uint64_t>(values[i])) << "value " << i;
  }
  EXPECT_FALSE(real_kept_negative_zero)
      << "SQLite now keeps -0.0 in REAL columns; docs/storage.md's "
         "reasoning for sortable BLOBs should be updated";
  // -Inf, -123.456, -0.0, 0.0, denorm_min, +Inf; both NaNs excluded.
  EXPECT_THAT(order, ::testing::ElementsAre(3, 7, 4, 5, 6, 2));
}

TEST_F(SqliteStatementTest, ColumnThatIsNotAnEncodedDoubleIsDataLoss) {
  absl::Status status = db_->RunReadTransaction([](Transaction& tx) {
    absl::StatusOr<Statement> stmt = tx.Prepare("SELECT x'0102' AS summary");
    if (!stmt.ok()) return stmt.status();
    absl::StatusOr<bool> row = stmt->Step();
    if (!row.ok()) return row.status();
    return stmt->ColumnSortableDouble(0).status();
  });
  EXPECT_EQ(status.code(), absl::StatusCode::kDataLoss);
  EXPECT_EQ(ReasonOf(status), "STORE_CORRUPT");
  EXPECT_THAT(MessageOf(status), HasSubstr("\"summary\""));
  EXPECT_THAT(MessageOf(status), HasSubstr("2-byte BLOB"));
}

}  // namespace
}  // namespace slipway::internal_storage
