import Foundation

/// Lets every writer share transactions: pushes being accepted, plans, claims and send results.
///
/// A caller that can wait enqueues its work and waits. When no batch is being committed, a waiting caller
/// becomes the leader: it takes the writer lock, then everything queued by then, runs each piece of work inside
/// its own savepoint of one transaction, commits once and wakes every caller of the batch. Callers that arrive
/// meanwhile form the next batch. One durable commit costs about half a millisecond; sharing it is what lets
/// the store keep up with many writers.
///
/// Each waiting caller sleeps on a semaphore of its own, woken only when its work is done or it is to lead the
/// next batch: one condition broadcast after each batch woke every waiting caller, most of them only to find
/// their work still queued and sleep again.
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
        /// What a waiting caller sleeps on: signalled when its work is done, or when it is to lead; nil for
        /// handed-over work.
        let wake: DispatchSemaphore?
        // Written by the leader before `done` is set, read by the caller after; `state` orders the two.
        var failure: StoreError?
        var done = false

        init(
            operation: String, run: @escaping (Connection) throws(StoreError) -> Void,
            completion: (@Sendable (StoreError?) -> Void)? = nil
        ) {
            self.operation = operation
            self.run = run
            self.completion = completion
            wake = completion == nil ? DispatchSemaphore(value: 0) : nil
        }
    }

    /// The writer lock, taken by the leader before it takes the queue so that callers arriving while another
    /// write runs join the same batch.
    private let lock: NSLock
    /// Runs a batch under `lock`: begins, runs each work in a savepoint, commits.
    private let commit: ([Work]) -> Void

    /// Guards every property below.
    private let state = NSLock()
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
    var waiting: Int { state.withLock { queue.count } }

    init(lock: NSLock, commit: @escaping ([Work]) -> Void) {
        self.lock = lock
        self.commit = commit
        // Named from inside: on Linux, Foundation gives the system a name set before the start to no one.
        let thread = Thread { [self] in
            Thread.current.name = "store-commit"
            runCommitter()
        }
        thread.start()
    }

    /// Enqueues `work`, which must have been made without a completion, and returns once its batch has committed
    /// (nil) or failed (the error).
    func submit(_ work: Work) {
        guard let wake = work.wake else { preconditionFailure("submit takes work that waits; hand over the rest") }
        state.lock()
        queue.append(work)
        while !work.done {
            if leading {
                state.unlock()
                // Woken when the work is done, or to lead; a leader that started meanwhile takes it along.
                wake.wait()
                state.lock()
                continue
            }
            leading = true
            state.unlock()
            lead()
            state.lock()
        }
        state.unlock()
    }

    /// Enqueues `work` and returns at once; its completion is called when its batch has ended.
    func hand(_ work: Work) {
        state.lock()
        if stopped {
            state.unlock()
            work.completion?(StoreError(operation: work.operation, code: 0, message: "the store is closed"))
            return
        }
        queue.append(work)
        handedOver += 1
        let wake = !leading
        state.unlock()
        if wake { committerWake.signal() }
    }

    /// Commits whatever handed-over work is left, then ends the committer thread; later calls do nothing.
    func stop() {
        let first = state.withLock {
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
        var batch = state.withLock {
            defer {
                queue = []
                handedOver = 0
            }
            return queue
        }
        commit(batch)
        lock.unlock()

        let handed = batch.filter { $0.completion != nil }
        state.lock()
        for item in batch { item.done = true }
        let waiters = batch.compactMap(\.wake)
        // A waiting caller's work wraps a closure that must not outlive its call: let go of it before the caller
        // can see it done.
        batch = []
        leading = false
        // The next batch is led by a caller that waits for it if there is one, else by the committer thread.
        let nextLeader = queue.first { $0.wake != nil }?.wake
        let more = handedOver > 0
        state.unlock()
        for wake in waiters { wake.signal() }
        if let nextLeader {
            nextLeader.signal()
        } else if more {
            committerWake.signal()
        }
        for item in handed { item.completion?(item.failure) }
    }

    private func runCommitter() {
        while true {
            committerWake.wait()
            state.lock()
            if handedOver == 0 && stopped {
                state.unlock()
                committerEnded.signal()
                return
            }
            // A leader takes handed-over work along and wakes this thread again if some arrived too late.
            guard handedOver > 0 && !leading else {
                state.unlock()
                continue
            }
            leading = true
            state.unlock()
            lead()
            // After the stop, nothing else will wake this thread to see that it is done.
            if state.withLock({ stopped }) { committerWake.signal() }
        }
    }
}
