import Foundation

/// Copies the write-ahead log back into the database file on a thread of its own, so that no commit waits for it.
///
/// With SQLite's automatic checkpoint, the commit that crossed the threshold (a thousand pages) did the copying
/// and its fsync inside the batch, and every push of that batch waited for it. Here the writer does not
/// checkpoint as it commits: this thread does, on its own connection, after every few commits or each second.
/// Under steady load such a checkpoint seldom finds the log wholly copied, and SQLite starts the log over only
/// when it is; so every `writerCheckpointInterval` commits the writer itself checkpoints between two batches,
/// which finds little left to copy, and its next transaction starts the log over.
final class Checkpointer: @unchecked Sendable {
    /// Commits between two checkpoints.
    static let commitsPerCheckpoint = 16
    /// Commits between two checkpoints by the writer.
    static let writerCheckpointInterval = 64
    /// A log longer than this many pages (64 MB) is started over even if readers must be waited for: readers
    /// that keep reading from the log (under steady load, nearly always one) would otherwise let it grow
    /// without end.
    static let restartPages = 16_384

    /// The writer's checkpoint, between two batches: passive, or a restart once the log is too long.
    static func checkpoint(_ writer: Connection) {
        let pages = try? writer.query("PRAGMA wal_checkpoint(PASSIVE)", operation: "checkpoint") { Int($0.int(1)) }
        if let pages = pages?.first, pages > restartPages {
            _ = try? writer.query("PRAGMA wal_checkpoint(RESTART)", operation: "checkpoint") { _ in () }
        }
    }

    private let connection: Connection
    /// Guards `commits` and `stopped`.
    private let condition = NSCondition()
    private var commits = 0
    private var stopped = false
    private let ended = DispatchSemaphore(value: 0)

    init(path: String) throws(StoreError) {
        connection = try Connection(path: path, create: false)
        try connection.execute("PRAGMA busy_timeout = 5000", operation: "open \(path) for checkpoints")
        let thread = Thread { [self] in run() }
        thread.name = "store-checkpoint"
        thread.start()
    }

    /// Counts a commit; every `commitsPerCheckpoint` of them wake the thread.
    func committed() {
        condition.withLock {
            commits += 1
            if commits >= Self.commitsPerCheckpoint { condition.signal() }
        }
    }

    /// Ends the thread and closes its connection; later calls do nothing.
    func stop() {
        let first = condition.withLock {
            defer {
                stopped = true
                condition.signal()
            }
            return !stopped
        }
        if first { ended.wait() }
    }

    private func run() {
        while true {
            let go: Bool = condition.withLock {
                let deadline = Date() + 1
                while !stopped && commits < Self.commitsPerCheckpoint && condition.wait(until: deadline) {}
                defer { commits = 0 }
                return !stopped && commits > 0
            }
            if condition.withLock({ stopped }) { break }
            guard go else { continue }
            // A failed checkpoint (a full disk) changes nothing; the next one tries again.
            _ = try? connection.query("PRAGMA wal_checkpoint(PASSIVE)", operation: "checkpoint") { _ in () }
        }
        connection.close()
        ended.signal()
    }
}
