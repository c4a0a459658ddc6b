import CSQLite
import Foundation

/// The daemon's durable state in one SQLite file, `<directory>/scrm-notify.sqlite`: the inbox of raw events,
/// the jobs (the outbox) and their attempts.
///
/// The file is in WAL mode, and a write method that returns has reached the disk: SQLite commits without
/// waiting for it (`synchronous=NORMAL`), and the store syncs the log itself before it tells anyone (`LogSync`).
/// Every method may be called from any thread.
public final class Store: @unchecked Sendable {
    /// The database file's path.
    public let path: String
    /// The connection that writes; owned by whoever holds `writerLock` (the group committer takes it per batch).
    let writer: Connection
    /// Serializes every use of `writer`, and guards `commits`.
    let writerLock = NSLock()
    /// Transactions committed by `writer` since opening; guarded by `writerLock`.
    private let commitCounter = Counter()
    /// Transactions committed by `writer` since opening; read under `writerLock`.
    var commits: Int { commitCounter.value }
    /// The connection that reads; WAL lets it read while `writer` commits. Owned by whoever holds `readerLock`.
    let reader: Connection
    /// Serializes every use of `reader`.
    let readerLock = NSLock()
    /// The queue of writers waiting to share one transaction.
    let groupCommit: GroupCommit
    /// Copies the write-ahead log into the database file, off the commit path.
    private let checkpointer: Checkpointer
    /// Makes each committed batch durable before its callers hear of it.
    private let logSync: LogSync
    /// How many migrations this open applied (0 when the file was already current).
    public let migrationsApplied: Int
    /// The latest event of each appointment stored lately, as committed.
    let latestEvents = LatestEvents()
    /// The schema version this program brings its stores to.
    public static var latestSchemaVersion: Int { Schema.migrations.count }

    /// The file's name inside the data folder.
    public static let fileName = "scrm-notify.sqlite"

    /// The page size of a file the store creates.
    static let newFilePageSize = 2048

    /// Opens the store in `directory`, creating the folder and the file if needed and migrating the schema.
    ///
    /// - Throws: `StoreError` when the folder cannot be created, the file cannot be opened for writing, or the
    ///   file's schema is newer than this program.
    ///
    /// `upgrading` is called before an existing file is migrated, with its version and the latest: a migration may
    /// rebuild a table, a minute for a million events, and the caller can say so before the wait.
    public convenience init(
        directory: String, upgrading: ((_ from: Int, _ to: Int) -> Void)? = nil
    ) throws(StoreError) {
        try self.init(directory: directory, restartPages: nil, upgrading: upgrading)
    }

    /// Opens the store as `init(directory:)` does, with the log started over past `restartPages` pages (nil: past
    /// `Checkpointer.restartLogBytes`).
    init(
        directory: String, restartPages: Int?, upgrading: ((_ from: Int, _ to: Int) -> Void)? = nil
    ) throws(StoreError) {
        do {
            try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        } catch {
            throw StoreError(operation: "create folder \(directory)", code: 0, message: error.localizedDescription)
        }
        path = (directory as NSString).appendingPathComponent(Self.fileName)

        writer = try Connection(path: path, create: true)
        // The busy timeout comes first: switching to WAL must also wait for another process's lock.
        try writer.execute("PRAGMA busy_timeout = 5000", operation: "open \(path)")
        // Pages of 2 kB for a new file (an existing one keeps its own: in WAL mode the size is fixed). Most pages a
        // push changes are index leaves found by a random key (its event id, its order number, its job's key),
        // each written whole to the log and again by the checkpoint: with 4 kB pages that was 25 kB a push, with
        // 2 kB 17 kB, and 2 % fewer instructions (the log's checksums, copies). 1 kB pages wrote 14 kB but took
        // 5-14 % more CPU a push; 8 kB wrote 37 kB.
        try writer.execute("PRAGMA page_size = \(Self.newFilePageSize)", operation: "open \(path)")
        let mode = try writer.query("PRAGMA journal_mode = WAL", operation: "open \(path)") { $0.text(0) }
        guard mode.first == "wal" else {
            throw StoreError(operation: "open \(path)", code: 0, message: "SQLite refused WAL mode (got \(mode))")
        }
        // Checkpoints are the checkpointer's, off the commit path. A log that grew under load is cut back to
        // 64 MB when it starts over, the length past which the writer starts it over anyway (`restartPages`), so
        // the disk holds no more than under load. Cut back to 16 MB, the log grew again after every restart, and
        // the kernel allocated and zeroed its pages anew each time: 3-4 % of the daemon's CPU under load.
        // Each write of a batch runs in a savepoint, so SQLite keeps the first image of every page a batch
        // changes in a statement journal; past 64 kB that journal went to a temporary file, opened and deleted
        // for every batch and written as much as the log itself. In memory it costs a batch's pages until commit.
        try writer.execute(
            """
            PRAGMA synchronous = NORMAL; PRAGMA foreign_keys = ON; PRAGMA wal_autocheckpoint = 0;
            PRAGMA journal_size_limit = 67108864
            """,
            operation: "open \(path)")
        let version = try Schema.userVersion(writer)
        if version > 0 && version < Schema.migrations.count { upgrading?(version, Schema.migrations.count) }
        // Before the journals move to memory: a migration that rebuilds a table sorts its indexes in temporary
        // files then, where in memory it took 468 MB for a million jobs.
        migrationsApplied = try Schema.migrate(writer)
        try writer.execute("PRAGMA temp_store = MEMORY", operation: "open \(path)")

        reader = try Connection(path: path, create: false)
        // The reader never writes: query_only turns a mistake into an error instead of a second writer.
        try reader.execute("PRAGMA busy_timeout = 5000; PRAGMA query_only = 1", operation: "open \(path)")
        let pageSize = try writer.query("PRAGMA page_size", operation: "open \(path)") { $0.int(0) }.first ?? 4096
        let checkpointer = try Checkpointer(
            path: path, restartPages: restartPages ?? Checkpointer.restartLogBytes / max(512, Int(pageSize)))
        self.checkpointer = checkpointer
        // The migration has written to the log, so it exists.
        let logSync = try LogSync(databasePath: path)
        self.logSync = logSync
        groupCommit = GroupCommit(
            lock: writerLock, steps: Self.steps(writer, commitCounter, checkpointer, logSync, latestEvents))
    }

    /// Carries a handed-over write's result from its work, run by the committer, to its completion, called after
    /// the committer has handed the batch to the syncer under the group commit's lock.
    private final class ResultBox<T>: @unchecked Sendable {
        var result: T?
    }

    /// A count of commits, shared with the committing closure.
    private final class Counter: @unchecked Sendable {
        var value = 0
    }

    deinit { close() }

    /// Closes both connections; later calls throw a "closed" `StoreError`. Calling it twice is harmless.
    public func close() {
        groupCommit.stop()
        checkpointer.stop()
        logSync.close()
        writerLock.withLock { writer.close() }
        readerLock.withLock { reader.close() }
    }

    /// How many write transactions this store has committed since it was opened (a grouped batch counts once).
    public var commitCount: Int { writerLock.withLock { commits } }

    /// The schema version of the file (`PRAGMA user_version`).
    public func schemaVersion() throws(StoreError) -> Int {
        try read { connection throws(StoreError) in try Schema.userVersion(connection) }
    }

    /// The size of the database file plus its write-ahead log, in bytes; 0 when they cannot be read.
    public func sizeInBytes() -> Int64 {
        [path, path + "-wal"].reduce(Int64(0)) { total, file in
            var info = stat()
            return stat(file, &info) == 0 ? total + Int64(info.st_size) : total
        }
    }

    /// Returns once every write handed to the store before the call has committed or failed.
    public func waitForWritesInFlight() {
        _ = try? write("wait for writes in flight") { _ throws(StoreError) in }
    }

    /// Runs `body` as one atomic write, durable when this returns; if it throws, none of its changes stay.
    ///
    /// Concurrent callers share one transaction and one disk sync (see `GroupCommit`); each caller's work runs
    /// in a savepoint of its own, so one that fails is rolled back alone. If the shared commit fails (full disk,
    /// read-only file), every caller of the batch gets the error and none of their changes is stored.
    func write<T>(_ operation: String, _ body: (Connection) throws(StoreError) -> T) throws(StoreError) -> T {
        try withoutActuallyEscaping(body) { (body) throws(StoreError) -> T in
            // The committer runs `body` while this thread waits in `submit`, so the closure never outlives the call.
            var result: T?
            let work = GroupCommit.Work(operation: operation) { (connection) throws(StoreError) in
                result = try body(connection)
            }
            groupCommit.submit(work)
            if let failure = work.failure { throw failure }
            guard let result else {
                throw StoreError(operation: operation, code: 0, message: "the write did not run")
            }
            return result
        }
    }

    /// Runs `body` as one atomic write like `write`, but returns at once: `completion` gets the result once it
    /// has reached the disk (on the syncer thread) or failed.
    func write<T>(
        _ operation: String, _ body: @escaping (Connection) throws(StoreError) -> T,
        completion: @escaping @Sendable (Result<T, StoreError>) -> Void
    ) {
        let box = ResultBox<T>()
        let work = GroupCommit.Work(operation: operation) { (connection) throws(StoreError) in
            box.result = try body(connection)
        } completion: { failure in
            if let failure { return completion(.failure(failure)) }
            guard let result = box.result else {
                return completion(.failure(StoreError(operation: operation, code: 0, message: "the write did not run")))
            }
            completion(.success(result))
        }
        groupCommit.hand(work)
    }

    /// How the group commit writes a batch on `writer`: one transaction, each work guarded by a savepoint of its
    /// own once one has failed, made durable by `logSync` after the commit. All but the sync run under `writerLock`.
    private static func steps(
        _ writer: Connection, _ commits: Counter, _ checkpointer: Checkpointer, _ logSync: LogSync,
        _ latestEvents: LatestEvents
    ) -> GroupCommit.Steps {
        // Transaction control goes through `run`, whose statements are prepared once: `execute` parsed them
        // again for every piece of work.
        GroupCommit.Steps(
            begin: { () -> StoreError? in
                writer.insertedEvents = []
                if checkpointer.takeRestartRequest() { checkpointer.checkpoint(writer) }
                do throws(StoreError) {
                    try writer.run("BEGIN IMMEDIATE", operation: "begin a grouped write")
                    return nil
                } catch {
                    return error
                }
            },
            run: { work, guarded in
                guard guarded else {
                    do throws(StoreError) {
                        try work.run(writer)
                        return true
                    } catch {
                        work.failure = error
                        return false
                    }
                }
                writer.inWorkSavepoint = true
                defer { writer.inWorkSavepoint = false }
                let inserted = writer.insertedEvents.count
                do throws(StoreError) {
                    try writer.run("SAVEPOINT work", operation: work.operation)
                    do throws(StoreError) {
                        try work.run(writer)
                    } catch {
                        _ = try? writer.run("ROLLBACK TO work", operation: work.operation)
                        writer.insertedEvents.removeSubrange(inserted...)
                        work.failure = error
                    }
                    try writer.run("RELEASE work", operation: work.operation)
                } catch {
                    work.failure = work.failure ?? error
                }
                return true
            },
            restart: { () -> StoreError? in
                // The transaction may be gone already (SQLite rolls back by itself on some errors).
                try? writer.execute("ROLLBACK", operation: "write a grouped write again")
                writer.insertedEvents = []
                do throws(StoreError) {
                    try writer.run("BEGIN IMMEDIATE", operation: "begin a grouped write")
                    return nil
                } catch {
                    return error
                }
            },
            end: { () -> StoreError? in
                defer { writer.insertedEvents = [] }
                do throws(StoreError) {
                    try writer.run("COMMIT", operation: "commit a grouped write")
                } catch {
                    // After a failed COMMIT the transaction may already be gone; a failing ROLLBACK then changes
                    // nothing.
                    try? writer.execute("ROLLBACK", operation: "commit a grouped write")
                    latestEvents.forget(writer.insertedEvents)
                    return error
                }
                latestEvents.committed(writer.insertedEvents)
                commits.value += 1
                checkpointer.committed()
                return nil
            },
            sync: { logSync.sync() })
    }

    /// Runs `body` on the read connection.
    func read<T>(_ body: (Connection) throws(StoreError) -> T) throws(StoreError) -> T {
        readerLock.lock()
        defer { readerLock.unlock() }
        return try body(reader)
    }
}
