// Database: one SQLite connection, the only way slipway talks to SQLite.
//
// It owns the connection, its prepared-statement cache and the retry policy.
// All work happens inside a transaction body:
//
//   auto db = Database::Open("/data/slipway.db", DatabaseOptions{}, clock);
//   absl::Status s = (*db)->RunInTransaction([&](Transaction& tx) {
//     absl::StatusOr<Statement> insert =
//         tx.Prepare("INSERT INTO tag(run_id, key, value) VALUES (?1, ?2,
//         ?3)");
//     if (!insert.ok()) return insert.status();
//     insert->BindText(1, run_id); ...
//     return insert->Run();
//   });
//
// Write transactions start with BEGIN IMMEDIATE (the write lock is taken up
// front, so a transaction never fails half-way for want of it); read
// transactions with BEGIN DEFERRED plus a first read that pins the snapshot.
// The connection's busy_timeout is 0: when another connection holds the lock
// SQLite returns SQLITE_BUSY at once and *we* retry, with bounded exponential
// backoff and jitter slept through the injected Clock, until
// DatabaseOptions::busy_deadline; then Unavailable STORE_BUSY. "database is
// locked" never reaches a caller.
//
// File databases use WAL (checked at open: FailedPrecondition
// STORE_WAL_UNAVAILABLE if the file system refuses it), synchronous=NORMAL
// (FULL with `full_sync`) and foreign_keys=ON. ":memory:" gives a private
// in-memory database (no WAL; it vanishes with the Database).
//
// Thread-safety: thread-safe. The connection is opened with
// SQLITE_OPEN_NOMUTEX (SQLite does no locking of its own) and an absl::Mutex
// inside Database serialises transactions: one body runs at a time, others
// wait. For parallel reads open several Databases on the same file. Calling
// RunInTransaction from inside a body is refused (Internal
// NESTED_TRANSACTION) rather than deadlocking.
//
// Fork safety: Database remembers the pid that opened it. In any other
// process (a fork child) every call returns FailedPrecondition STORE_FORKED
// without touching the connection, and the destructor deliberately leaks it:
// the connection's file descriptors, its WAL-index shared memory mapping and
// SQLite's per-process lock bookkeeping all belong to the parent, so
// finalizing or closing in the child could release the parent's locks or
// rewrite shared state under the parent's feet (SQLite's docs: never carry
// an open connection across fork()). The child opens its own Database.
#ifndef SLIPWAY_SRC_STORAGE_SQLITE_DATABASE_H_
#define SLIPWAY_SRC_STORAGE_SQLITE_DATABASE_H_

#include <sys/types.h>

#include <atomic>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <thread>

#include "absl/base/thread_annotations.h"
#include "absl/container/flat_hash_map.h"
#include "absl/functional/function_ref.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "slipway/env.h"
#include "src/storage/sqlite/statement.h"

struct sqlite3;

namespace slipway::internal_storage {

struct DatabaseOptions {
  // Open an existing store for reading only (SQLITE_OPEN_READONLY): write
  // transactions fail with PermissionDenied STORE_READ_ONLY and a missing
  // file is NotFound FILE_NOT_FOUND. Default false: read-write, creating the
  // file if missing.
  bool read_only = false;

  // synchronous=FULL (fsync the WAL at every commit) instead of NORMAL
  // (fsync at checkpoints). Either way a crash never corrupts the store;
  // NORMAL may lose the last commits before a power failure (not a process
  // crash). Strict durability mode (docs/design/0002) turns this on.
  bool full_sync = false;

  // How long a busy store is retried (opening, BEGIN, COMMIT, a busy step)
  // before Unavailable STORE_BUSY. Default 30 s: far longer than any
  // slipway transaction, so it only trips when another process is stuck.
  absl::Duration busy_deadline = absl::Seconds(30);

  // Commits leave the WAL alone (wal_autocheckpoint=0) and the owner calls
  // CheckpointIfLarge() from a background thread, so a commit returns as
  // soon as its pages are in the WAL instead of also copying them into the
  // database file. Default false: SQLite checkpoints inside the commit that
  // takes the WAL past 1,000 pages.
  bool background_checkpoints = false;
};

class Transaction;

// One entry of the statement cache (internal to Database and Statement).
struct CachedStatement {
  sqlite3_stmt* stmt = nullptr;
  // A Statement handle is out for it; a second Prepare of the same SQL then
  // gets a private, uncached statement.
  bool in_use = false;
  // False for such private statements: finalized when the handle goes.
  bool cached = true;
};

class Database {
 public:
  // The name that opens a private in-memory database.
  static constexpr char kMemory[] = ":memory:";

  // Opens (creating unless read-only) the SQLite database at
  // `path_or_memory`, a plain file path (no URI interpretation) or kMemory,
  // and configures the connection (see the header comment). `clock` paces
  // retries and must outlive the Database; null means the system clock.
  //
  // Errors: NotFound FILE_NOT_FOUND (a missing directory, or a missing file
  // when read-only); PermissionDenied PERMISSION_DENIED / STORE_READ_ONLY;
  // FailedPrecondition PATH_CONFLICT (a directory); DataLoss STORE_CORRUPT
  // (not an SQLite database); FailedPrecondition STORE_WAL_UNAVAILABLE;
  // Unavailable STORE_BUSY (another process held the file locked past the
  // busy deadline while we configured it); InvalidArgument PATH_INVALID
  // (an empty path). Open does not apply migrations (ApplyMigrations).
  static absl::StatusOr<std::unique_ptr<Database>> Open(
      const std::string& path_or_memory, const DatabaseOptions& options,
      Clock* clock);

  Database(const Database&) = delete;
  Database& operator=(const Database&) = delete;
  // Finalizes cached statements and closes the connection (in the opening
  // process; see "Fork safety").
  ~Database();

  // Runs `body` in a write transaction (BEGIN IMMEDIATE ... COMMIT) and
  // returns its status. If `body` returns an error, everything it wrote is
  // rolled back and that error is returned unchanged.
  //
  // Busy store: BEGIN and COMMIT are retried (COMMIT alone, the transaction
  // kept); if a statement inside `body` fails with STORE_BUSY, the
  // transaction is rolled back and `body` runs again. So `body` may run more
  // than once and must have no effects outside the transaction (or only
  // idempotent ones). After `busy_deadline`: Unavailable STORE_BUSY.
  //
  // Other errors: whatever `body` returns; the mapped SQLite error of
  // BEGIN/COMMIT (PermissionDenied STORE_READ_ONLY on a read-only store,
  // ResourceExhausted DISK_FULL, DataLoss STORE_CORRUPT, ...);
  // FailedPrecondition STORE_FORKED in a fork child; Internal
  // NESTED_TRANSACTION when called from inside a body.
  absl::Status RunInTransaction(
      absl::FunctionRef<absl::Status(Transaction&)> body);

  // Runs `body` in a read transaction: one consistent snapshot of the store
  // (concurrent writers in WAL mode neither block it nor show through).
  // Transaction::Prepare refuses writing statements in it. Retries and
  // errors as RunInTransaction.
  absl::Status RunReadTransaction(
      absl::FunctionRef<absl::Status(Transaction&)> body);

  // With background_checkpoints: when the WAL holds at least `min_pages`
  // pages written through this connection since the last checkpoint, runs a
  // PASSIVE checkpoint (copies what no reader still needs into the database
  // file; never waits for other connections). Otherwise does nothing. A
  // checkpoint that another connection is already running is not an error.
  absl::Status CheckpointIfLarge(int64_t min_pages) ABSL_LOCKS_EXCLUDED(mu_);
  // Pages in the WAL after this connection's last commit (0 when unknown).
  int64_t wal_pages() const { return wal_pages_.load(); }

  // The path (or kMemory) this database was opened with.
  const std::string& path() const { return path_; }
  bool is_memory() const { return path_ == kMemory; }
  const DatabaseOptions& options() const { return options_; }

  // Diagnostics for tests: how many statements were prepared (a cache hit
  // prepares nothing), and how many the cache holds. Callable anywhere,
  // including inside a body.
  int64_t statements_prepared() const { return statements_prepared_.load(); }
  size_t cached_statement_count() const {
    return cached_statement_count_.load();
  }
  // How many attempts (opening, BEGIN, COMMIT or a whole body) met a busy
  // store over this Database's lifetime: each was retried after a backoff,
  // or, past the deadline, given up with STORE_BUSY.
  int64_t busy_retries() const { return busy_retries_.load(); }

 private:
  friend class Transaction;
  friend class Statement;

  Database(std::string path, const DatabaseOptions& options, Clock* clock,
           sqlite3* db);

  // FailedPrecondition STORE_FORKED when called outside the opening process.
  absl::Status CheckPid() const;
  absl::Status Configure();
  absl::Status RunTransaction(
      bool write, absl::FunctionRef<absl::Status(Transaction&)> body)
      ABSL_LOCKS_EXCLUDED(mu_);
  // Runs one statement with no parameters and no interesting rows.
  int ExecRaw(const char* sql) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  absl::StatusOr<Statement> PrepareCached(std::string_view sql, bool write,
                                          bool use_cache)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  absl::Status ExecuteScript(std::string_view sql, bool write)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  void Release(CachedStatement* entry);
  void RollbackIfActive() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);

  const std::string path_;
  const DatabaseOptions options_;
  Clock* const clock_;
  const pid_t pid_;
  sqlite3* const db_;

  mutable absl::Mutex mu_;
  // The thread running a transaction body, to refuse nesting.
  std::atomic<std::thread::id> body_thread_{};
  absl::flat_hash_map<std::string, std::unique_ptr<CachedStatement>> cache_
      ABSL_GUARDED_BY(mu_);
  // Mirrors for the diagnostics, readable without the mutex.
  std::atomic<int64_t> statements_prepared_{0};
  std::atomic<size_t> cached_statement_count_{0};
  std::atomic<int64_t> busy_retries_{0};
  std::atomic<int64_t> wal_pages_{0};
  // Set when a statement step inside a body hit SQLITE_BUSY/LOCKED: the body
  // is then retried as a whole.
  bool step_was_busy_ ABSL_GUARDED_BY(mu_) = false;
};

// The handle a transaction body gets. Valid only during the body, on the
// thread running it.
class Transaction {
 public:
  Transaction(const Transaction&) = delete;
  Transaction& operator=(const Transaction&) = delete;

  // Returns the cached prepared statement for `sql` (exactly one SQL
  // statement), preparing it on first use. If the cached statement is in use
  // by another live handle, returns a private one. Errors: Internal
  // STORE_ERROR for SQL that does not compile (the message quotes the SQL and
  // SQLite's complaint) or for trailing SQL after the first statement;
  // Internal WRITE_IN_READ_TRANSACTION for a writing statement in a read
  // transaction; other mapped SQLite errors (DataLoss STORE_CORRUPT when the
  // schema cannot be read).
  // (The body runs with the Database's mutex held; the analysis cannot see
  // that through the callback, hence ABSL_NO_THREAD_SAFETY_ANALYSIS.)
  absl::StatusOr<Statement> Prepare(std::string_view sql)
      ABSL_NO_THREAD_SAFETY_ANALYSIS;

  // As Prepare, but the statement is never cached: it is prepared now and
  // finalized when the handle goes. For SQL whose text varies with user
  // input (search filters of any shape), which would otherwise grow the
  // cache without bound.
  absl::StatusOr<Statement> PrepareUncached(std::string_view sql)
      ABSL_NO_THREAD_SAFETY_ANALYSIS;

  // Runs `sql`, one or more statements without parameters (schema scripts,
  // pragmas), not cached. Errors as Prepare and Statement::Step.
  absl::Status Execute(std::string_view sql) ABSL_NO_THREAD_SAFETY_ANALYSIS;

  // The rowid of the last row this connection inserted, and the number of
  // rows the last statement changed.
  int64_t LastInsertRowId() const;
  int64_t Changes() const;

  bool is_write() const { return write_; }
  Database& database() const { return *db_; }

 private:
  friend class Database;
  Transaction(Database* db, bool write) : db_(db), write_(write) {}

  Database* db_;
  bool write_;
};

}  // namespace slipway::internal_storage

#endif  // SLIPWAY_SRC_STORAGE_SQLITE_DATABASE_H_
