import Foundation

/// Lets every writer share transactions: pushes being accepted, plans, claims and send results.
///
/// A caller that can wait enqueues its work and waits. When no batch is being committed, a waiting caller
/// becomes the leader: it takes the writer lock, then everything queued by then, runs each piece of work inside
/// its own savepoint of one transaction, commits once and wakes every caller of the batch. Callers that arrive
/// meanwhile form the next batch. One durable commit costs about half a millisecond; sharing it is what lets
/// the store keep up with many writers.
///
/// A caller that must not wait (an HTTP thread answering pushes) hands its work over with a completion instead.
/// Such work joins the next batch, whoever leads it; when nobody leads, the committer thread does.
final class GroupCommit: @unchecked Sendable {
    /// One caller's work; the leader runs it and fills in `failure` or leaves it nil on success.
    final class Work: @unchecked Sendable {
        let operation: String
        let run: (Connection) throws(StoreError) -> Void
        /// Called after the batch has ended, on the thread that committed it; nil for a caller that waits.
        let completion: (@Sendable (StoreError?) -> Void)?
        // Written by the leader before `done` is set, read by the caller after; `condition` orders the two.
        var failure: StoreError?
        var done = false

        init(
            operation: String, run: @escaping (Connection) throws(StoreError) -> Void,
            completion: (@Sendable (StoreError?) -> Void)? = nil
        ) {
            self.operation = operation
            self.run = run
            self.completion = completion
        }
    }

    /// The writer lock, taken by the leader before it takes the queue so that callers arriving while another
    /// write runs join the same batch.
    private let lock: NSLock
    /// Runs a batch under `lock`: begins, runs each work in a savepoint, commits.
    private let commit: ([Work]) -> Void

    /// Guards every property below.
    private let condition = NSCondition()
    private var queue: [Work] = []
    private var leading = false
    /// Works in `queue` whose callers do not wait; when nobody leads, the committer thread commits them.
    private var handedOver = 0
    private var stopped = false
    /// Signalled when handed-over work may need a leader, and at stop.
    private let committerWake = DispatchSemaphore(value: 0)
    /// Signalled once by the committer thread as it ends.
    private let committerEnded = DispatchSemaphore(value: 0)

    /// The number of callers waiting for a batch (for tests).
    var waiting: Int { condition.withLock { queue.count } }

    init(lock: NSLock, commit: @escaping ([Work]) -> Void) {
        self.lock = lock
        self.commit = commit
        let thread = Thread { [self] in runCommitter() }
        thread.name = "store-commit"
        thread.start()
    }

    /// Enqueues `work` and returns once its batch has committed (nil) or failed (the error).
    func submit(_ work: Work) {
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
            lead()
            condition.lock()
        }
    }

    /// Enqueues `work` and returns at once; its completion is called when its batch has ended.
    func hand(_ work: Work) {
        condition.lock()
        if stopped {
            condition.unlock()
            work.completion?(StoreError(operation: work.operation, code: 0, message: "the store is closed"))
            return
        }
        queue.append(work)
        handedOver += 1
        let wake = !leading
        condition.unlock()
        if wake { committerWake.signal() }
    }

    /// Commits whatever handed-over work is left, then ends the committer thread; later calls do nothing.
    func stop() {
        let first = condition.withLock {
            defer { stopped = true }
            return !stopped
        }
        guard first else { return }
        committerWake.signal()
        committerEnded.wait()
    }

    /// Commits one batch; the caller has set `leading`.
    private func lead() {
        lock.lock()
        var batch = condition.withLock {
            defer {
                queue = []
                handedOver = 0
            }
            return queue
        }
        commit(batch)
        lock.unlock()

        let handed = batch.filter { $0.completion != nil }
        condition.lock()
        for item in batch { item.done = true }
        // A waiting caller's work wraps a closure that must not outlive its call: let go of it before the caller
        // can see it done.
        batch = []
        leading = false
        let more = handedOver > 0
        condition.broadcast()
        condition.unlock()
        if more { committerWake.signal() }
        for item in handed { item.completion?(item.failure) }
    }

    private func runCommitter() {
        while true {
            committerWake.wait()
            condition.lock()
            if handedOver == 0 && stopped {
                condition.unlock()
                committerEnded.signal()
                return
            }
            // A leader takes handed-over work along and wakes this thread again if some arrived too late.
            guard handedOver > 0 && !leading else {
                condition.unlock()
                continue
            }
            leading = true
            condition.unlock()
            lead()
            // After the stop, nothing else will wake this thread to see that it is done.
            if condition.withLock({ stopped }) { committerWake.signal() }
        }
    }
}
