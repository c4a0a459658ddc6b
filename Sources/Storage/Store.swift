import CSQLite
import Foundation

/// The daemon's durable state in one SQLite file, `<directory>/scrm-notify.sqlite`: the inbox of raw events,
/// the jobs (the outbox) and their attempts.
///
/// The file is in WAL mode with `synchronous=FULL`, so a write method that returns has reached the disk.
/// Every method may be called from any thread.
public final class Store: @unchecked Sendable {
    /// The database file's path.
    public let path: String
    /// The connection that writes; owned by whoever holds `writerLock` (the group committer takes it per batch).
    let writer: Connection
    /// Serializes every use of `writer`, and guards `commits`.
    let writerLock = NSLock()
    /// The connection that reads; WAL lets it read while `writer` commits. Owned by whoever holds `readerLock`.
    let reader: Connection
    /// Serializes every use of `reader`.
    let readerLock = NSLock()
    /// Transactions committed by `writer` since opening; guarded by `writerLock`.
    var commits = 0
    /// The queue of `accept` callers waiting to share one transaction.
    let groupCommit = GroupCommit()
    /// How many migrations this open applied (0 when the file was already current).
    let migrationsApplied: Int

    /// The file's name inside the data folder.
    public static let fileName = "scrm-notify.sqlite"

    /// Opens the store in `directory`, creating the folder and the file if needed and migrating the schema.
    ///
    /// - Throws: `StoreError` when the folder cannot be created, the file cannot be opened for writing, or the
    ///   file's schema is newer than this program.
    public init(directory: String) throws(StoreError) {
        do {
            try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        } catch {
            throw StoreError(operation: "create folder \(directory)", code: 0, message: error.localizedDescription)
        }
        path = (directory as NSString).appendingPathComponent(Self.fileName)

        writer = try Connection(path: path, create: true)
        // The busy timeout comes first: switching to WAL must also wait for another process's lock.
        try writer.execute("PRAGMA busy_timeout = 5000", operation: "open \(path)")
        let mode = try writer.query("PRAGMA journal_mode = WAL", operation: "open \(path)") { $0.text(0) }
        guard mode.first == "wal" else {
            throw StoreError(operation: "open \(path)", code: 0, message: "SQLite refused WAL mode (got \(mode))")
        }
        try writer.execute("PRAGMA synchronous = FULL; PRAGMA foreign_keys = ON", operation: "open \(path)")
        migrationsApplied = try Schema.migrate(writer)

        reader = try Connection(path: path, create: false)
        // The reader never writes: query_only turns a mistake into an error instead of a second writer.
        try reader.execute("PRAGMA busy_timeout = 5000; PRAGMA query_only = 1", operation: "open \(path)")
    }

    deinit { close() }

    /// Closes both connections; later calls throw a "closed" `StoreError`. Calling it twice is harmless.
    public func close() {
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

    /// Runs `body` in one write transaction (BEGIN IMMEDIATE … COMMIT), rolling back if anything throws.
    func write<T>(_ operation: String, _ body: (Connection) throws(StoreError) -> T) throws(StoreError) -> T {
        writerLock.lock()
        defer { writerLock.unlock() }
        return try transaction(operation, body)
    }

    /// `write` for a caller that already holds `writerLock`.
    func transaction<T>(_ operation: String, _ body: (Connection) throws(StoreError) -> T) throws(StoreError) -> T {
        try writer.execute("BEGIN IMMEDIATE", operation: operation)
        do {
            let result = try body(writer)
            try writer.execute("COMMIT", operation: operation)
            commits += 1
            return result
        } catch {
            // After a failed COMMIT the transaction may already be gone; a failing ROLLBACK then changes nothing.
            try? writer.execute("ROLLBACK", operation: operation)
            throw error
        }
    }

    /// Runs `body` on the read connection.
    func read<T>(_ body: (Connection) throws(StoreError) -> T) throws(StoreError) -> T {
        readerLock.lock()
        defer { readerLock.unlock() }
        return try body(reader)
    }
}
