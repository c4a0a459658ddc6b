import Foundation

/// Copies the write-ahead log back into the database file on a thread of its own, so that no commit waits for it.
///
/// With SQLite's automatic checkpoint, the commit that crossed the threshold (a thousand pages) did the copying
/// and its fsync inside the batch, and every push of that batch waited for it. Here the writer does not
/// checkpoint as it commits: this thread does, on its own connection, after every few commits (or each second
/// when commits are few), so that little of the log is ever left to copy. SQLite starts the log over only at a
/// write that finds it wholly copied, which under steady load seldom happens; when the log has grown past
/// `restartPages`, the writer checkpoints and starts it over itself between two batches.
final class Checkpointer: @unchecked Sendable {
    /// Commits between two checkpoints.
    static let commitsPerCheckpoint = 4
    /// A log longer than this is started over by the writer even if readers must be waited for: under steady
    /// load a new batch nearly always begins before the last is copied, and readers keep reading from the log, so
    /// it seldom starts over by itself and would otherwise grow without end.
    static let restartLogBytes = 64 << 20

    /// The log's length, in pages, past which the writer starts it over.
    let restartPages: Int

    /// The writer's checkpoint, between two batches: passive, then a restart once the log is too long. This
    /// thread has copied nearly all of the log by then, so it takes little: under load at 64 connections, about
    /// once a second, p50 3.3 ms, at most 8 ms (after every commit instead of every 4: p50 26 µs, at most 3.5 ms,
    /// but a fifth more bytes written and two more fsyncs a commit).
    ///
    /// The writer used to do this every 64 commits whatever the log's length, with this thread checkpointing every
    /// 16: then it took 10-25 ms, a stall for every push in flight six times a second, most of the p99 at 64
    /// connections.
    func checkpoint(_ writer: Connection) {
        let pages = try? writer.query("PRAGMA wal_checkpoint(PASSIVE)", operation: "checkpoint") { Int($0.int(1)) }
        if let pages = pages?.first, pages > restartPages {
            _ = try? writer.query("PRAGMA wal_checkpoint(RESTART)", operation: "checkpoint") { _ in () }
        }
    }

    private let connection: Connection
    /// Guards `commits`, `stopped`, `restartWanted` and `idle`.
    private let condition = NSCondition()
    private var commits = 0
    private var stopped = false
    private var restartWanted = false
    /// Whether the thread sleeps until the next commit, which must then wake it.
    private var idle = false
    private let ended = DispatchSemaphore(value: 0)

    init(path: String, restartPages: Int) throws(StoreError) {
        self.restartPages = restartPages
        connection = try Connection(path: path, create: false)
        try connection.execute("PRAGMA busy_timeout = 5000", operation: "open \(path) for checkpoints")
        // Named from inside (see GroupCommit), in at most 15 bytes, the system's limit.
        let thread = Thread { [self] in
            Thread.current.name = "store-ckpt"
            run()
        }
        thread.start()
    }

    /// Counts a commit; the first after an idle spell and every `commitsPerCheckpoint`-th wake the thread.
    func committed() {
        condition.withLock {
            commits += 1
            if (commits == 1 && idle) || commits >= Self.commitsPerCheckpoint { condition.signal() }
        }
    }

    /// Whether the log has grown past `restartPages` since the last call, so that the writer should checkpoint
    /// and start it over before its next batch; asking clears it.
    func takeRestartRequest() -> Bool {
        condition.withLock {
            defer { restartWanted = false }
            return restartWanted
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
                // Nothing to copy, nothing to wake for: an idle daemon's thread sleeps until the next commit.
                idle = true
                while !stopped && commits == 0 { condition.wait() }
                idle = false
                let deadline = Date() + 1
                while !stopped && commits < Self.commitsPerCheckpoint && condition.wait(until: deadline) {}
                defer { commits = 0 }
                return !stopped && commits > 0
            }
            if condition.withLock({ stopped }) { break }
            guard go else { continue }
            // A failed checkpoint (a full disk) changes nothing; the next one tries again.
            let pages = try? connection.query("PRAGMA wal_checkpoint(PASSIVE)", operation: "checkpoint") {
                Int($0.int(1))
            }
            if let pages = pages?.first, pages > restartPages { condition.withLock { restartWanted = true } }
        }
        connection.close()
        ended.signal()
    }
}
