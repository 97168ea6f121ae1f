#include "src/storage/sqlite/database.h"

#include <sqlite3.h>
#include <unistd.h>

#include <memory>
#include <string>
#include <string_view>
#include <thread>
#include <utility>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "slipway/status.h"
#include "src/errors/strings.h"
#include "src/storage/backoff.h"
#include "src/storage/sqlite/errors.h"
#include "src/storage/sqlite/functions.h"

namespace slipway::internal_storage {
namespace {

using internal_strings::Cat;
using internal_strings::ToAbsl;

// SQL text as shown in messages: quoted, cut after 120 bytes.
std::string QuoteSql(std::string_view sql) { return QuoteForMessage(sql, 120); }

bool IsBusyStatus(const absl::Status& status) {
  return status.code() == absl::StatusCode::kUnavailable;
}

}  // namespace

Database::Database(std::string path, const DatabaseOptions& options,
                   Clock* clock, sqlite3* db)
    : path_(std::move(path)),
      options_(options),
      clock_(clock),
      pid_(::getpid()),
      db_(db) {}

Database::~Database() {
  if (::getpid() != pid_) {
    // A fork child: leak the parent's connection on purpose (header comment,
    // "Fork safety"). Only our own bookkeeping structs are freed; no SQLite
    // call is made and the mutex (which a parent thread may have held at
    // the fork) is not touched.
    return;
  }
  for (auto& [sql, entry] : cache_) sqlite3_finalize(entry->stmt);
  cache_.clear();
  // close_v2 defers the close if a statement is still unfinalized rather
  // than failing with SQLITE_BUSY.
  sqlite3_close_v2(db_);
}

absl::StatusOr<std::unique_ptr<Database>> Database::Open(
    const std::string& path_or_memory, const DatabaseOptions& options,
    Clock* clock) {
  if (clock == nullptr) clock = Env::Default().clock;
  if (path_or_memory.empty()) {
    return MakeError(
        absl::StatusCode::kInvalidArgument,
        "the store path is empty: give a database file path such as "
        "\"/data/slipway.db\", or \":memory:\" for a private in-memory store",
        ErrorDetail{.reason = "PATH_INVALID",
                    .rule = "a store path is a file path or \":memory:\"",
                    .value = "",
                    .fix = "Pass a file path, e.g. \"/data/slipway.db\", or "
                           "\":memory:\"."});
  }
  // NOMUTEX: our own mutex serialises the connection (see the header).
  // EXRESCODE: extended result codes from the start, open errors included.
  int flags =
      SQLITE_OPEN_NOMUTEX | SQLITE_OPEN_PRIVATECACHE | SQLITE_OPEN_EXRESCODE;
  flags |= options.read_only ? SQLITE_OPEN_READONLY
                             : (SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE);
  sqlite3* raw = nullptr;
  const int rc = sqlite3_open_v2(path_or_memory.c_str(), &raw, flags, nullptr);
  if (rc != SQLITE_OK) {
    absl::Status status = SqliteError(raw, rc, "open", path_or_memory);
    sqlite3_close_v2(raw);  // A handle is returned even on failure.
    return status;
  }
  sqlite3_extended_result_codes(raw, 1);
  // SQLite must never wait on its own: the retry loop waits, through the
  // Clock, bounded by busy_deadline (docs/design/0002 "Many writers").
  sqlite3_busy_timeout(raw, 0);
  std::unique_ptr<Database> database(
      new Database(path_or_memory, options, clock, raw));
  absl::Status configured = database->Configure();
  if (!configured.ok()) return configured;
  return database;
}

absl::Status Database::Configure() {
  absl::MutexLock lock(&mu_);
  const bool want_wal = !is_memory() && !options_.read_only;
  // Setting WAL needs a brief exclusive lock the first time (and reading
  // the header needs a shared one), so a fresh file opened by several
  // processes at once sees SQLITE_BUSY here: retry like any transaction.
  Backoff backoff(clock_, options_.busy_deadline);
  if (want_wal) {
    // 16 KiB pages for a new file (no effect on an existing one): a metric
    // chunk (~30 KiB) then spans 2 pages, not 8, and a bulk write of 10M
    // points commits ~1.7x faster (benchmarks/README.md). Must precede the
    // first write, i.e. setting WAL mode. No I/O, so it cannot be busy.
    if (const int rc = sqlite3_exec(db_, "PRAGMA page_size=16384", nullptr,
                                    nullptr, nullptr);
        rc != SQLITE_OK) {
      return SqliteError(db_, rc, "open (PRAGMA page_size)", path_);
    }
  }
  const char* probe = want_wal ? "PRAGMA journal_mode=WAL"
                               : "SELECT count(*) FROM sqlite_schema";
  std::string journal_mode;
  while (true) {
    sqlite3_stmt* stmt = nullptr;
    int rc = sqlite3_prepare_v2(db_, probe, -1, &stmt, nullptr);
    if (rc == SQLITE_OK) {
      rc = sqlite3_step(stmt);
      if (rc == SQLITE_ROW) {
        const unsigned char* text = sqlite3_column_text(stmt, 0);
        journal_mode =
            text == nullptr ? "" : reinterpret_cast<const char*>(text);
        rc = SQLITE_OK;
      }
    }
    // Map before finalize so the connection's message is still the step's.
    absl::Status status;
    if (rc != SQLITE_OK && !IsBusy(rc)) {
      status = SqliteError(db_, rc, Cat("open (", probe, ")"), path_);
    }
    sqlite3_finalize(stmt);
    if (rc == SQLITE_OK) break;
    if (!IsBusy(rc)) return status;
    ++busy_retries_;
    if (!backoff.SleepBeforeRetry()) {
      return StoreBusyError(path_, Cat("open (", probe, ")"),
                            options_.busy_deadline, backoff.retries() + 1);
    }
  }
  if (want_wal && journal_mode != "wal") {
    const std::string fix =
        "Put the store on a local file system that supports shared memory "
        "and file locking (not a network share), or open it from a process "
        "that may create the -wal and -shm files beside it.";
    return MakeError(
        absl::StatusCode::kFailedPrecondition,
        Cat("store ", QuoteForMessage(path_),
            " cannot use write-ahead logging (journal_mode stayed ",
            QuoteForMessage(journal_mode), "). ", fix),
        ErrorDetail{.reason = "STORE_WAL_UNAVAILABLE",
                    .rule = "slipway SQLite stores use journal_mode=WAL",
                    .value = path_,
                    .fix = fix});
  }
  // Per-connection settings: no I/O, cannot be busy.
  const char* synchronous = options_.full_sync ? "PRAGMA synchronous=FULL"
                                               : "PRAGMA synchronous=NORMAL";
  for (const char* pragma : {synchronous, "PRAGMA foreign_keys=ON"}) {
    const int rc = sqlite3_exec(db_, pragma, nullptr, nullptr, nullptr);
    if (rc != SQLITE_OK) {
      return SqliteError(db_, rc, Cat("open (", pragma, ")"), path_);
    }
  }
  if (want_wal && options_.background_checkpoints) {
    if (const int rc = sqlite3_exec(db_, "PRAGMA wal_autocheckpoint=0",
                                    nullptr, nullptr, nullptr);
        rc != SQLITE_OK) {
      return SqliteError(db_, rc, "open (PRAGMA wal_autocheckpoint=0)", path_);
    }
    // After the pragma, which removes any WAL hook: count the WAL's pages.
    sqlite3_wal_hook(
        db_,
        [](void* self, sqlite3*, const char*, int pages) {
          static_cast<Database*>(self)->wal_pages_.store(pages);
          return SQLITE_OK;
        },
        this);
  }
  // slipway_like / slipway_ilike for search (functions.h).
  if (const int rc = RegisterSqlFunctions(db_); rc != SQLITE_OK) {
    return SqliteError(db_, rc, "open (registering SQL functions)", path_);
  }
  return absl::OkStatus();
}

absl::Status Database::CheckpointIfLarge(int64_t min_pages) {
  if (!options_.background_checkpoints || is_memory() || options_.read_only ||
      wal_pages_.load() < min_pages) {
    return absl::OkStatus();
  }
  absl::MutexLock lock(&mu_);
  if (absl::Status s = CheckPid(); !s.ok()) return s;
  int log_pages = 0;
  int checkpointed = 0;
  const int rc = sqlite3_wal_checkpoint_v2(
      db_, "main", SQLITE_CHECKPOINT_PASSIVE, &log_pages, &checkpointed);
  if (IsBusy(rc)) return absl::OkStatus();  // someone else is at it
  if (rc != SQLITE_OK) return SqliteError(db_, rc, "checkpoint", path_);
  // All copied: the next commit starts the WAL over. Otherwise a reader
  // still needs old pages; the next round tries again.
  if (checkpointed >= log_pages) wal_pages_.store(0);
  return absl::OkStatus();
}

absl::Status Database::CheckPid() const {
  const pid_t now = ::getpid();
  if (now == pid_) return absl::OkStatus();
  const std::string fix =
      "A forked child may not use its parent's store connection: open the "
      "store again in the child (slipway's Store does this by itself).";
  return MakeError(
      absl::StatusCode::kFailedPrecondition,
      Cat("store ", QuoteForMessage(path_), " was opened by process ", pid_,
          " and this is process ", now, " (a fork child). ", fix),
      ErrorDetail{.reason = "STORE_FORKED",
                  .rule = "an SQLite connection never crosses fork()",
                  .value = path_,
                  .fix = fix});
}

absl::Status Database::RunInTransaction(
    absl::FunctionRef<absl::Status(Transaction&)> body) {
  return RunTransaction(/*write=*/true, body);
}

absl::Status Database::RunReadTransaction(
    absl::FunctionRef<absl::Status(Transaction&)> body) {
  return RunTransaction(/*write=*/false, body);
}

int Database::ExecRaw(const char* sql) {
  // BEGIN/COMMIT/ROLLBACK run on every transaction: keep them in the cache
  // too, but outside the Statement machinery (no handle, no bind).
  auto it = cache_.find(absl::string_view(sql));
  sqlite3_stmt* stmt = nullptr;
  if (it != cache_.end()) {
    stmt = it->second->stmt;
  } else {
    const int rc = sqlite3_prepare_v3(db_, sql, -1, SQLITE_PREPARE_PERSISTENT,
                                      &stmt, nullptr);
    if (rc != SQLITE_OK) return rc;
    ++statements_prepared_;
    auto entry = std::make_unique<CachedStatement>();
    entry->stmt = stmt;
    cache_.emplace(sql, std::move(entry));
    ++cached_statement_count_;
  }
  int rc;
  do {
    rc = sqlite3_step(stmt);
  } while (rc == SQLITE_ROW);
  sqlite3_reset(stmt);
  return rc == SQLITE_DONE ? SQLITE_OK : rc;
}

void Database::RollbackIfActive() {
  // SQLite itself rolls back on some errors (SQLITE_FULL, IOERR, NOMEM);
  // a second ROLLBACK would only fail.
  if (sqlite3_get_autocommit(db_) == 0) ExecRaw("ROLLBACK");
}

absl::Status Database::RunTransaction(
    bool write, absl::FunctionRef<absl::Status(Transaction&)> body) {
  if (absl::Status forked = CheckPid(); !forked.ok()) return forked;
  if (body_thread_.load() == std::this_thread::get_id()) {
    return MakeError(
        absl::StatusCode::kInternal,
        Cat("slipway bug: a transaction on store ", QuoteForMessage(path_),
            " was started from inside another transaction's body"),
        ErrorDetail{.reason = "NESTED_TRANSACTION",
                    .rule = "one transaction per Database at a time",
                    .value = path_,
                    .fix = "Do the work in the outer transaction's body."});
  }
  absl::MutexLock lock(&mu_);
  const char* begin = write ? "BEGIN IMMEDIATE" : "BEGIN DEFERRED";
  Backoff backoff(clock_, options_.busy_deadline);
  auto give_up = [&](std::string_view what) {
    return StoreBusyError(path_, what, options_.busy_deadline,
                          backoff.retries() + 1);
  };
  while (true) {
    int rc = ExecRaw(begin);
    if (rc == SQLITE_OK && !write) {
      // A deferred BEGIN takes no snapshot yet; the first read does, and
      // that is where a busy store shows. Do it here, inside the retry loop.
      rc = ExecRaw("SELECT 1 FROM sqlite_schema LIMIT 1");
      if (rc != SQLITE_OK) {
        absl::Status status =
            IsBusy(rc) ? absl::OkStatus()
                       : SqliteError(db_, rc, "read snapshot start", path_);
        RollbackIfActive();
        if (!status.ok()) return status;
      }
    }
    if (IsBusy(rc)) {
      ++busy_retries_;
      if (!backoff.SleepBeforeRetry()) return give_up(begin);
      continue;
    }
    if (rc != SQLITE_OK) return SqliteError(db_, rc, begin, path_);

    step_was_busy_ = false;
    Transaction tx(this, write);
    body_thread_.store(std::this_thread::get_id());
    absl::Status status = body(tx);
    body_thread_.store(std::thread::id());
    if (!status.ok()) {
      RollbackIfActive();
      if (step_was_busy_ && IsBusyStatus(status)) {
        // A statement inside the body met a lock: run the body again.
        ++busy_retries_;
        if (!backoff.SleepBeforeRetry()) {
          return give_up("a statement of the transaction");
        }
        continue;
      }
      return status;
    }
    if (sqlite3_get_autocommit(db_) != 0) {
      // The transaction is gone although the body reported success: SQLite
      // rolled it back after an error the body ignored, or the body ran
      // COMMIT/ROLLBACK itself. Nothing (or not everything) was written.
      return MakeError(
          absl::StatusCode::kInternal,
          Cat("slipway bug: the transaction on store ", QuoteForMessage(path_),
              " ended inside its body (a statement error was ignored, or the "
              "body ran COMMIT/ROLLBACK); its writes were not committed"),
          ErrorDetail{.reason = "TRANSACTION_ENDED_BY_BODY",
                      .rule = "a transaction body returns every statement "
                              "error and never ends the transaction itself",
                      .value = path_,
                      .fix = "Please report this slipway bug."});
    }
    while (true) {
      rc = ExecRaw("COMMIT");
      if (rc == SQLITE_OK) return absl::OkStatus();
      if (IsBusy(rc) && sqlite3_get_autocommit(db_) == 0) {
        // The transaction is still open: retry the COMMIT alone.
        ++busy_retries_;
        if (!backoff.SleepBeforeRetry()) {
          RollbackIfActive();
          return give_up("COMMIT");
        }
        continue;
      }
      absl::Status commit_error = SqliteError(db_, rc, "COMMIT", path_);
      RollbackIfActive();
      return commit_error;
    }
  }
}

absl::StatusOr<Statement> Database::PrepareCached(std::string_view sql,
                                                  bool write, bool use_cache) {
  auto it = use_cache ? cache_.find(ToAbsl(sql)) : cache_.end();
  CachedStatement* entry = nullptr;
  if (it != cache_.end() && !it->second->in_use) {
    entry = it->second.get();
  } else {
    const bool cache_it = use_cache && it == cache_.end();
    sqlite3_stmt* stmt = nullptr;
    const char* tail = nullptr;
    const int rc = sqlite3_prepare_v3(
        db_, sql.data(), static_cast<int>(sql.size()),
        cache_it ? SQLITE_PREPARE_PERSISTENT : 0, &stmt, &tail);
    if (rc != SQLITE_OK) {
      if (IsBusy(rc)) step_was_busy_ = true;
      return SqliteError(db_, rc, Cat("prepare of ", QuoteSql(sql)), path_);
    }
    // Anything after the first statement must be whitespace, `;` or
    // comments: preparing it must yield no statement.
    bool trailing = false;
    const char* const end = sql.data() + sql.size();
    if (stmt != nullptr && tail != nullptr && tail < end) {
      sqlite3_stmt* extra = nullptr;
      const int extra_rc = sqlite3_prepare_v2(
          db_, tail, static_cast<int>(end - tail), &extra, nullptr);
      trailing = extra_rc != SQLITE_OK || extra != nullptr;
      sqlite3_finalize(extra);
    }
    if (stmt == nullptr || trailing) {
      sqlite3_finalize(stmt);
      const std::string fix =
          "Pass exactly one SQL statement to Prepare; use Execute for "
          "scripts.";
      return MakeError(
          absl::StatusCode::kInternal,
          Cat("slipway bug: ", QuoteSql(sql), " is ",
              stmt == nullptr ? "empty" : "more than one statement", " (store ",
              QuoteForMessage(path_), "). ", fix),
          ErrorDetail{.reason = "STORE_ERROR",
                      .rule = "Prepare takes exactly one statement",
                      .value = std::string(sql),
                      .fix = fix});
    }
    ++statements_prepared_;
    auto owned = std::make_unique<CachedStatement>();
    owned->stmt = stmt;
    if (cache_it) {
      entry = owned.get();
      cache_.emplace(std::string(sql), std::move(owned));
      ++cached_statement_count_;
    } else {
      // The cached one is busy (e.g. the same query nested in a loop over
      // its own results): a private statement, finalized on release.
      owned->cached = false;
      entry = owned.release();
    }
  }
  if (!write && sqlite3_stmt_readonly(entry->stmt) == 0) {
    Release(entry);
    const std::string fix =
        "Run writing statements inside RunInTransaction, not "
        "RunReadTransaction.";
    return MakeError(
        absl::StatusCode::kInternal,
        Cat("slipway bug: ", QuoteSql(sql),
            " writes, but runs in a read transaction on store ",
            QuoteForMessage(path_), ". ", fix),
        ErrorDetail{.reason = "WRITE_IN_READ_TRANSACTION",
                    .rule = "every write transaction starts with BEGIN "
                            "IMMEDIATE (STYLE.md)",
                    .value = std::string(sql),
                    .fix = fix});
  }
  entry->in_use = true;
  return Statement(this, entry);
}

void Database::Release(CachedStatement* entry) {
  sqlite3_reset(entry->stmt);
  sqlite3_clear_bindings(entry->stmt);
  if (entry->cached) {
    entry->in_use = false;
  } else {
    sqlite3_finalize(entry->stmt);
    delete entry;
  }
}

absl::Status Database::ExecuteScript(std::string_view sql, bool write) {
  const char* next = sql.data();
  const char* const end = sql.data() + sql.size();
  while (next < end) {
    sqlite3_stmt* stmt = nullptr;
    const char* tail = nullptr;
    int rc = sqlite3_prepare_v2(db_, next, static_cast<int>(end - next), &stmt,
                                &tail);
    const std::string_view current(next, static_cast<size_t>(tail - next));
    if (rc != SQLITE_OK) {
      if (IsBusy(rc)) step_was_busy_ = true;
      return SqliteError(db_, rc, Cat("prepare of ", QuoteSql(current)), path_);
    }
    next = tail;
    if (stmt == nullptr) continue;  // Whitespace or a comment.
    if (!write && sqlite3_stmt_readonly(stmt) == 0) {
      sqlite3_finalize(stmt);
      return MakeError(
          absl::StatusCode::kInternal,
          Cat("slipway bug: ", QuoteSql(current),
              " writes, but runs in a read transaction on store ",
              QuoteForMessage(path_)),
          ErrorDetail{.reason = "WRITE_IN_READ_TRANSACTION",
                      .rule = "every write transaction starts with BEGIN "
                              "IMMEDIATE (STYLE.md)",
                      .value = std::string(current),
                      .fix = "Run writing statements inside "
                             "RunInTransaction."});
    }
    do {
      rc = sqlite3_step(stmt);
    } while (rc == SQLITE_ROW);
    absl::Status status;
    if (rc != SQLITE_DONE) {
      if (IsBusy(rc)) step_was_busy_ = true;
      status = SqliteError(db_, rc, Cat("step of ", QuoteSql(current)), path_);
    }
    sqlite3_finalize(stmt);
    if (!status.ok()) return status;
  }
  return absl::OkStatus();
}

absl::StatusOr<Statement> Transaction::Prepare(std::string_view sql) {
  return db_->PrepareCached(sql, write_, /*use_cache=*/true);
}

absl::StatusOr<Statement> Transaction::PrepareUncached(std::string_view sql) {
  return db_->PrepareCached(sql, write_, /*use_cache=*/false);
}

absl::Status Transaction::Execute(std::string_view sql) {
  return db_->ExecuteScript(sql, write_);
}

int64_t Transaction::LastInsertRowId() const {
  return sqlite3_last_insert_rowid(db_->db_);
}

int64_t Transaction::Changes() const { return sqlite3_changes64(db_->db_); }

}  // namespace slipway::internal_storage
