import Foundation

/// Lets every writer share transactions: pushes being accepted, plans, claims and send results.
///
/// Callers queue their work, and two threads of the store's write it. The committer (`store-commit`) takes the
/// writer lock, then everything queued by then, runs each piece of work in one transaction and commits once;
/// the syncer (`store-sync`) waits until the commit is on the disk, then tells every caller of the batch. One
/// durable commit costs about half a millisecond; sharing it is what lets the store keep up with many writers.
///
/// A work that fails must leave no part of its writes in the batch. Each ran in a savepoint of its own, whose
/// statement journal copied every page the work changed first, a tenth of the store's CPU time for each push.
/// Now the works run as they are until one fails; then the batch is rolled back and written again from its
/// start with a savepoint a work, as is the rest of it (`write(_:from:guarded:)`). So a work may run twice, and
/// must not act beyond the store as it runs, or do so again harmlessly.
///
/// While the syncer waits for the disk, the committer begins the next batch: it runs the work queued so far and
/// takes in whatever arrives until that sync has returned, then commits. So batches stay as large as when each
/// waited for the one before, but their statements no longer wait for the disk: with the sync inside the
/// writer lock, the writer was busy 95 % of the time at 64 connections, and on the CPU for less than half of
/// it. At most one batch waits for the disk at a time.
///
/// A caller that can wait (a send recording its result) sleeps on a semaphore of its own until its batch is on
/// the disk or has failed. A caller that must not wait (an HTTP thread answering pushes) hands its work over
/// with a completion instead, called on the syncer thread.
final class GroupCommit: @unchecked Sendable {
    /// One caller's work; the committer runs it and fills in `failure` or leaves it nil on success.
    final class Work: @unchecked Sendable {
        let operation: String
        let run: (Connection) throws(StoreError) -> Void
        /// Called once the batch is on the disk or has failed, on the syncer thread (on the committer when the
        /// batch did not commit); nil for a caller that waits.
        let completion: (@Sendable (StoreError?) -> Void)?
        /// What a waiting caller sleeps on, signalled once its batch is on the disk or has failed; nil for
        /// handed-over work.
        let wake: DispatchSemaphore?
        // Written by the committer and the syncer before `wake` is signalled or `completion` called, read by the
        // caller after.
        var failure: StoreError?

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

    /// What the committer does with a batch, under `lock`, and the syncer after it (`sync`).
    struct Steps {
        /// Begins the transaction; the error when it cannot.
        let begin: () -> StoreError?
        /// Runs one work inside the transaction, setting its `failure`. `guarded`, in a savepoint of its own,
        /// which a failure rolls back: returns true. Otherwise as it is: returns false when it failed, when the
        /// transaction may hold part of its writes.
        let run: (_ work: Work, _ guarded: Bool) -> Bool
        /// Rolls the transaction back and begins it again; the error when it cannot begin.
        let restart: () -> StoreError?
        /// Commits the transaction; the error when it did not commit (it is then rolled back).
        let end: () -> StoreError?
        /// Waits until every committed transaction is on the disk; the error when it is not.
        let sync: () -> StoreError?
    }

    /// The writer lock, taken by the committer before it takes the queue so that callers arriving while another
    /// write runs join the same batch.
    private let lock: NSLock
    private let steps: Steps

    /// Guards every property below; the committer waits on it for the sync before its commit.
    private let state = NSCondition()
    private var queue: [Work] = []
    /// Whether the committer is writing a batch.
    private var leading = false
    /// The committed batch the syncer is to make durable and answer.
    private var committed: [Work]?
    /// Whether a committed batch is waiting for the disk; the next batch commits only once it is not.
    private var syncing = false
    private var stopped = false
    /// Signalled when work is queued while the committer may be idle, and at stop.
    private let committerWake = DispatchSemaphore(value: 0)
    /// Signalled when a batch has committed, and at stop.
    private let syncerWake = DispatchSemaphore(value: 0)
    /// Each thread signals it once as it ends.
    private let ended = DispatchSemaphore(value: 0)

    /// The number of callers waiting for a batch (for tests).
    var waiting: Int { state.withLock { queue.count } }

    init(lock: NSLock, steps: Steps) {
        self.lock = lock
        self.steps = steps
        // Named from inside: on Linux, Foundation gives the system a name set before the start to no one.
        Thread { [self] in
            Thread.current.name = "store-commit"
            runCommitter()
        }.start()
        Thread { [self] in
            Thread.current.name = "store-sync"
            runSyncer()
        }.start()
    }

    /// Enqueues `work`, which must have been made without a completion, and returns once its batch has committed
    /// (nil) or failed (the error).
    func submit(_ work: Work) {
        guard let wake = work.wake else { preconditionFailure("submit takes work that waits; hand over the rest") }
        state.lock()
        if stopped {
            state.unlock()
            work.failure = StoreError.closed(work.operation)
            return
        }
        queue.append(work)
        state.signal()
        let idle = !leading
        state.unlock()
        if idle { committerWake.signal() }
        wake.wait()
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
        state.signal()
        let wake = !leading
        state.unlock()
        if wake { committerWake.signal() }
    }

    /// Commits whatever work is queued, waits until it is on the disk and answered, then ends both threads; later
    /// calls do nothing.
    func stop() {
        let first = state.withLock {
            defer { stopped = true }
            return !stopped
        }
        guard first else { return }
        committerWake.signal()
        ended.wait()
        syncerWake.signal()
        ended.wait()
    }

    /// Writes one batch and hands it to the syncer; on the committer thread, which has set `leading`.
    private func lead() {
        lock.lock()
        var batch: [Work] = []
        var done = false
        if let failure = steps.begin() {
            batch = takeQueue()
            for work in batch { work.failure = failure.of(work) }
        } else {
            // Until the batch before is on the disk, whatever arrives joins this one.
            var open = true
            var guarded = false
            var lost: StoreError?
            while open {
                let first = batch.count
                batch += takeQueue()
                lost = write(batch, from: first, guarded: &guarded)
                if lost != nil { break }
                open = state.withLock {
                    while syncing && queue.isEmpty { state.wait() }
                    return syncing
                }
            }
            if let failure = lost ?? steps.end() {
                for work in batch { work.failure = work.failure ?? failure.of(work) }
            } else {
                done = true
            }
        }
        lock.unlock()

        state.withLock {
            leading = false
            if done {
                syncing = true
                committed = batch
            }
        }
        if done {
            batch = []
            syncerWake.signal()
        } else {
            answer(&batch)
        }
    }

    /// Runs the works of `batch` from `first` on, unguarded until one fails; then rolls the transaction back,
    /// runs the batch again up to that one with a savepoint a work, and the rest likewise (`guarded` from then
    /// on). The error when the transaction cannot begin again, and nothing of the batch is written.
    private func write(_ batch: [Work], from first: Int, guarded: inout Bool) -> StoreError? {
        for index in first..<batch.count where !steps.run(batch[index], guarded) {
            guarded = true
            if let failure = steps.restart() { return failure }
            for work in batch[...index] {
                work.failure = nil
                _ = steps.run(work, true)
            }
        }
        return nil
    }

    /// Tells the callers of `batch` that it has ended, with each work's `failure`, and empties it.
    private func answer(_ batch: inout [Work]) {
        let handed = batch.filter { $0.completion != nil }
        let waiters = batch.compactMap(\.wake)
        // A waiting caller's work wraps a closure that must not outlive its call: let go of it before the caller
        // can see it done.
        batch = []
        for wake in waiters { wake.signal() }
        for item in handed { item.completion?(item.failure) }
    }

    /// Takes every queued work into the committer's batch.
    private func takeQueue() -> [Work] {
        state.withLock {
            defer { queue = [] }
            return queue
        }
    }

    private func runCommitter() {
        while true {
            committerWake.wait()
            state.lock()
            if queue.isEmpty && stopped {
                state.unlock()
                ended.signal()
                return
            }
            guard !queue.isEmpty && !leading else {
                state.unlock()
                continue
            }
            leading = true
            state.unlock()
            lead()
            // Work queued while this batch was written was left for the next one; after the stop, nothing else
            // will wake this thread to see that it is done.
            if state.withLock({ !queue.isEmpty || stopped }) { committerWake.signal() }
        }
    }

    private func runSyncer() {
        while true {
            syncerWake.wait()
            var stop = false
            // The only reference to the batch, so that `answer` can let go of it (see there).
            var batch: [Work] = state.withLock {
                stop = stopped && !leading
                return committed.take() ?? []
            }
            guard !batch.isEmpty else {
                if stop {
                    ended.signal()
                    return
                }
                continue
            }
            if let failure = steps.sync() {
                for work in batch { work.failure = work.failure ?? failure.of(work) }
            }
            state.withLock {
                syncing = false
                state.broadcast()
            }
            answer(&batch)
        }
    }
}

extension StoreError {
    /// This failure of the whole batch as `work`'s own: its caller sees the operation it asked for.
    fileprivate func of(_ work: GroupCommit.Work) -> StoreError {
        StoreError(operation: work.operation, code: code, message: message)
    }
}
