import Foundation

/// Lets every writer share transactions: pushes being accepted, plans, claims and send results.
///
/// Each caller enqueues its work and waits. When no batch is being committed, a waiting caller becomes the
/// leader: it takes the writer lock, then everything queued by then, runs each piece of work inside its own
/// savepoint of one transaction, commits once and wakes every caller of the batch. Callers that arrive
/// meanwhile form the next batch. One durable commit costs about half a millisecond; sharing it is what lets
/// the store keep up with many writers.
final class GroupCommit: @unchecked Sendable {
    /// One caller's work; the leader runs it and fills in `failure` or leaves it nil on success.
    final class Work: @unchecked Sendable {
        let operation: String
        let run: (Connection) throws(StoreError) -> Void
        // Written by the leader before `done` is set, read by the caller after; `condition` orders the two.
        var failure: StoreError?
        var done = false

        init(operation: String, run: @escaping (Connection) throws(StoreError) -> Void) {
            self.operation = operation
            self.run = run
        }
    }

    /// Guards every property below.
    private let condition = NSCondition()
    private var queue: [Work] = []
    private var leading = false

    /// The number of callers waiting for a batch (for tests).
    var waiting: Int { condition.withLock { queue.count } }

    /// Enqueues `work` and returns once its batch has committed (nil) or failed (the error).
    ///
    /// - Parameters:
    ///   - lock: the writer lock, taken by the leader before it takes the queue so that callers arriving
    ///     while another write runs join the same batch.
    ///   - commit: runs a batch under `lock`: begins, runs each work in a savepoint, commits.
    func submit(_ work: Work, lock: NSLock, commit: ([Work]) -> Void) {
        condition.lock()
        queue.append(work)
        while true {
            if work.done {
                condition.unlock()
                return
            }
            if leading {
                condition.wait()
                continue
            }
            leading = true
            condition.unlock()

            lock.lock()
            let batch = condition.withLock {
                defer { queue = [] }
                return queue
            }
            commit(batch)
            lock.unlock()

            condition.lock()
            for item in batch { item.done = true }
            leading = false
            condition.broadcast()
        }
    }
}
