import Foundation
import Storage
import Telemetry

/// Wakes at the earliest due job and hands due jobs to delivery; sleeps while nothing is due.
///
/// The store's index on the due time makes each wake-up a lookup, never a scan, so a million pending
/// reminders cost nothing while idle.
final class Scheduler: @unchecked Sendable {
    let store: Store
    let clock: any Clock
    let logger: Logger
    let maxInFlight: Int
    /// Sends one claimed job and calls `done` once the job is settled.
    let dispatch: @Sendable (Job, _ done: @escaping @Sendable () -> Void) -> Void

    // `condition` guards `poked`, `stopped` and `inFlight`.
    private let condition = NSCondition()
    private var poked = false
    private var stopped = false
    private var inFlight = 0
    /// Jobs claimed by pushes as they were stored, waiting for this thread to send them (`dispatchClaimed`).
    private var handed: [Job] = []
    private var thread: Thread?

    init(
        store: Store, clock: any Clock, logger: Logger, maxInFlight: Int = 256,
        dispatch: @escaping @Sendable (Job, _ done: @escaping @Sendable () -> Void) -> Void
    ) {
        self.store = store
        self.clock = clock
        self.logger = logger
        self.maxInFlight = maxInFlight
        self.dispatch = dispatch
    }

    func start() {
        // Named from inside: on Linux, Foundation gives the system a name set before the start to no one.
        let thread = Thread { [self] in
            Thread.current.name = "scheduler"
            run()
        }
        self.thread = thread
        thread.start()
    }

    /// Asks the scheduler to look again now: a plan was committed, a job finished, or the clock moved.
    func poke() {
        condition.withLock {
            poked = true
            condition.signal()
        }
    }

    /// Takes up to `count` places among the sends in flight for jobs that a plan claims as it stores them
    /// (`InlineClaim`); returns how many it took, none once stopped. Each place is given back by
    /// `dispatchClaimed`.
    func reserve(_ count: Int) -> Int {
        condition.withLock {
            let taken = stopped ? 0 : max(0, min(count, maxInFlight - inFlight))
            inFlight += taken
            return taken
        }
    }

    /// Sends `jobs`, claimed with `reserved` places taken by `reserve`, and gives back the places they did not
    /// use. Call it once the claim's commit is on the disk, with no jobs when it failed.
    ///
    /// The jobs are sent from the scheduler's thread, which takes all that were handed over since it last
    /// looked: the caller is the store's thread, which answers the pushes of a batch one after the other, and
    /// starting each send there held up the answers behind it.
    func dispatchClaimed(_ jobs: [Job], reserved: Int) {
        precondition(jobs.count <= reserved, "\(jobs.count) jobs claimed with \(reserved) places")
        let now: [Job] = condition.withLock {
            inFlight -= reserved - jobs.count
            // After the stop nothing takes the handed jobs; they are claimed, so they go out all the same.
            guard !stopped else { return jobs }
            handed.append(contentsOf: jobs)
            poked = true
            condition.signal()
            return []
        }
        for job in now { dispatch(job) { [self] in finished() } }
    }

    private func finished() {
        condition.withLock {
            inFlight -= 1
            poked = true
            condition.signal()
        }
    }

    /// Stops claiming jobs; returns once sends in flight have settled or `deadline` passed.
    func stop(deadline: Date) {
        condition.lock()
        stopped = true
        condition.broadcast()
        while inFlight > 0 && Date() < deadline { _ = condition.wait(until: min(deadline, Date() + 0.05)) }
        condition.unlock()
    }

    /// The longest sleep while nothing is due: a safety net for a missed poke (another process's `cancel` or
    /// `retry`), and the only wake-up of an idle daemon.
    static let idleWake: TimeInterval = 60

    /// `date` in whole milliseconds, rounded as the store rounds times, so "due" here means due to `claimDue`.
    static func milliseconds(_ date: Date) -> Int64 { Int64((date.timeIntervalSince1970 * 1000).rounded()) }

    private func run() {
        while true {
            let (capacity, claimed): (Int?, [Job]) = condition.withLock {
                poked = false
                defer { handed = [] }
                // Places taken by pushes that claim their own jobs (`reserve`) may fill what a claim here had
                // counted on, so the sends in flight can briefly exceed the limit.
                return (stopped ? nil : max(0, maxInFlight - inFlight), handed)
            }
            for job in claimed { dispatch(job) { [self] in finished() } }
            guard let capacity else { return }
            var sleepUntil = Date() + Self.idleWake
            if capacity > 0 {
                do {
                    // A read first: most pokes (a plan, a finished send) find nothing due, and need no write.
                    let now = clock.now()
                    var next = try store.nextDueTime()
                    if let due = next, Self.milliseconds(due) <= Self.milliseconds(now) {
                        let jobs = try store.claimDue(now: now, limit: capacity)
                        if !jobs.isEmpty {
                            condition.withLock { inFlight += jobs.count }
                            for job in jobs { dispatch(job) { [self] in finished() } }
                            if jobs.count == capacity { continue }
                        }
                        // The earliest of what is left; without a claim the first read's answer stands.
                        next = try store.nextDueTime()
                    }
                    if let next {
                        // The wait is in real time; with a manual clock the tests poke after moving it.
                        let wait = next.timeIntervalSince(clock.now())
                        sleepUntil = min(sleepUntil, Date() + max(wait, 0.001))
                    }
                } catch {
                    logger.error("scheduler cannot read the store", ["error": "\(error)"])
                    sleepUntil = Date() + 1
                }
            }
            condition.lock()
            while !poked && !stopped && Date() < sleepUntil { _ = condition.wait(until: sleepUntil) }
            condition.unlock()
        }
    }
}
