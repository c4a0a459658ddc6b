import Channels
import Crypto
import Events
import Foundation
import JSON
import Rules
import Storage
import Synchronization
import Telemetry

/// Turns events into jobs: runs the rules (a pure plan), compares with the appointment's pending jobs, and
/// commits the difference in one transaction.
///
/// A push is planned as it arrives and its plan stored with it (`planOnArrival`). What that leaves, this
/// service's serial queue plans from the store: events stored before a crash, or while such events waited, or
/// whose rules were reloaded between plan and commit; and the re-plan after a reload. Two events of the same
/// appointment are never planned at once: the queue plans one batch at a time, and arrival plans are finished
/// one after the other inside the store's transaction.
final class PlanService: @unchecked Sendable {
    let store: Store
    let clock: any Clock
    let shopClock: ShopClock
    /// Decoded events shared by the planner and the senders.
    let events: EventCache
    let runtime: RuntimeHolder
    let logger: Logger
    let metrics: DaemonMetrics
    /// Called after a commit that may have made a job due sooner.
    let committed: @Sendable () -> Void
    /// Where an arrival plan takes places among the sends in flight for the jobs it claims as it stores them,
    /// and hands those jobs once stored; nil claims nothing, leaving every job to the scheduler.
    let claims: Scheduler?
    let queue = DispatchQueue(label: "scrm-notify.planner")

    init(
        store: Store, clock: any Clock, events: EventCache, runtime: RuntimeHolder, logger: Logger,
        metrics: DaemonMetrics, claims: Scheduler? = nil, committed: @escaping @Sendable () -> Void
    ) {
        self.claims = claims
        self.store = store
        self.clock = clock
        self.shopClock = events.shopClock
        self.events = events
        self.runtime = runtime
        self.logger = logger
        self.metrics = metrics
        self.committed = committed
    }

    /// Most events planned and committed in one transaction.
    static let batchSize = 64

    // `wakeScheduled` says whether a pass over the inbox is already queued; its own lock guards it.
    private let wakeScheduled = Mutex(false)

    /// Plans every stored event that has no plan yet, soon and off the caller's thread; many calls in a row
    /// cost one pass. The inbox is the queue: nothing waits in memory, and a crash loses nothing.
    func wake() {
        let first = wakeScheduled.withLock { scheduled in
            defer { scheduled = true }
            return !scheduled
        }
        guard first else { return }
        queue.async {
            self.wakeScheduled.withLock { $0 = false }
            self.planStored()
        }
    }

    /// Waits until every stored event is planned and a re-plan in progress has finished (tests, shutdown).
    func drain() {
        queue.sync { planStored() }
        while replanning.withLock({ $0 }) { queue.sync {} }
    }

    /// Plans events stored before a crash or a stop whose plan was never committed; runs at start-up.
    func recoverUnplanned() { queue.sync { planStored() } }

    // `replanning` says whether a re-plan still has pages to go; its own lock guards it.
    private let replanning = Mutex(false)

    /// Whether a re-plan after a reload is under way: arriving events are then left to this queue, which plans
    /// them between the re-plan's pages, so that no appointment is planned in two places at once.
    var isReplanning: Bool { replanning.withLock { $0 } }
    // Owned by `queue`: a reload during a re-plan restarts it from the first page with the newest rules.
    private var replanGeneration = 0

    /// Plans unplanned inbox events in arrival order, a batch per transaction. Runs on `queue`.
    private func planStored() {
        while true {
            let batch: [InboxEvent]
            do {
                batch = try store.unplannedEvents(limit: Self.batchSize)
            } catch {
                logger.error("planning paused: the inbox is not readable", ["error": "\(error)"])
                retryLater()
                return
            }
            guard !batch.isEmpty else { return }
            let runtime = runtime.current
            let now = clock.now()
            var outcomes: [Outcome] = []
            var orders = Set<String>()
            let kinds = Set(runtime.rules.rules.map(\.on))
            for stored in batch {
                // No rule listens for this kind of event, and an event of another kind leaves their jobs alone:
                // nothing to decode, nothing to change.
                guard kinds.contains(stored.kind) else {
                    outcomes.append(.nothing(for: stored.id, at: now))
                    continue
                }
                // A second event of the same appointment is planned against the first one's committed jobs.
                if let order = stored.orderKey, !orders.insert(order).inserted { break }
                guard let event = events.event(stored) else {
                    logger.error("stored event cannot be decoded; not planned", ["event.id": stored.id])
                    outcomes.append(.nothing(for: stored.id, at: now))
                    continue
                }
                outcomes.append(outcome(of: event, eventID: stored.id, runtime: runtime, now: now))
            }
            guard commit(outcomes) else {
                retryLater()
                return
            }
            committed()
        }
    }

    /// Tries planning again in a second, when the store refused a read or a commit.
    private func retryLater() {
        queue.asyncAfter(deadline: .now() + 1) { self.wake() }
    }

    /// Re-plans every appointment with pending jobs against the current rules (after a reload).
    ///
    /// Walks the appointments a page at a time, each page one queue item and one transaction, so events that
    /// arrive meanwhile are planned between pages and a million pending jobs are never all in memory.
    func replanPending() {
        replanning.withLock { $0 = true }
        queue.async {
            self.waitForArrivalPlans()
            self.replanGeneration += 1
            self.replanPage(after: nil, generation: self.replanGeneration)
        }
    }

    private func replanPage(after: String?, generation: Int) {
        // A newer reload started its own walk.
        guard generation == replanGeneration else { return }
        let orders: [String]
        do {
            orders = try store.pendingOrderKeys(after: after, limit: 200)
        } catch {
            logger.error("re-plan stopped: pending jobs not readable", ["error": "\(error)"])
            orders = []
        }
        guard let last = orders.last else {
            replanning.withLock { $0 = false }
            return
        }
        let runtime = runtime.current
        let now = clock.now()
        var outcomes: [Outcome] = []
        for order in orders {
            guard let stored = try? store.latestEvent(orderKey: order),
                let event = events.event(stored)
            else { continue }
            outcomes.append(outcome(of: event, eventID: nil, runtime: runtime, now: now))
        }
        if commit(outcomes) { committed() }
        queue.async { self.replanPage(after: last, generation: generation) }
    }

    /// A plan ready to commit, with what to log once it is stored.
    struct Outcome {
        let eventID: String
        let commit: PlanCommit
        let cancellations: [ReplanDiff.Cancellation]

        /// Marks the event planned and changes nothing else.
        static func nothing(for eventID: String, at now: Date) -> Outcome {
            let commit = PlanCommit(eventID: eventID, newJobs: [], cancel: [], reschedule: [], at: now)
            return Outcome(eventID: eventID, commit: commit, cancellations: [])
        }
    }

    /// Plans `event` and diffs the plan against the appointment's pending jobs of the rules it concerns;
    /// `eventID` takes the event off the planner's queue when given.
    private func outcome(of event: Event, eventID: String?, runtime: Runtime, now: Date) -> Outcome {
        var pending: [Job] = []
        if let order = event.orderNum { pending = (try? store.pendingJobs(orderKey: order)) ?? [] }
        return outcome(
            of: runtime.rules.plan(event, now: now, rendering: false), event: event, eventID: eventID, pending: pending,
            runtime: runtime, now: now)
    }

    /// Diffs `plan`, made for `event`, against `pending`, the appointment's planned jobs.
    func outcome(of plan: Plan, event: Event, eventID: String?, pending: [Job], runtime: Runtime, now: Date)
        -> Outcome
    {
        var pending = pending
        // An event of another kind says nothing about rules listening for this one: their jobs stay.
        pending.removeAll { job in runtime.rules.rule(named: job.rule).map { $0.on != event.kind } ?? false }
        let refs = pending.map {
            PendingRef(jobID: $0.id, rule: $0.rule, entry: $0.entry, key: $0.key, dueAt: $0.dueAt)
        }
        let diff = Replanner.diff(plan: plan, pending: refs)
        let jobs = diff.insert.map { makeJob($0, event: event, runtime: runtime, now: now) }
        let commit = PlanCommit(
            eventID: eventID, newJobs: jobs, cancel: diff.cancel.map { ($0.jobID, $0.reason) }, reschedule: [], at: now)
        return Outcome(eventID: event.envelope.id, commit: commit, cancellations: diff.cancel)
    }

    /// Stores `outcomes` in one transaction and logs them; returns whether they were stored.
    private func commit(_ outcomes: [Outcome]) -> Bool {
        guard !outcomes.isEmpty else { return false }
        do {
            try store.commitPlans(outcomes.map(\.commit))
        } catch {
            // The inbox rows stay unplanned, so the next start plans them again.
            for outcome in outcomes {
                logger.error("plan not stored", ["event.id": outcome.eventID, "error": "\(error)"])
            }
            return false
        }
        for outcome in outcomes { log(outcome) }
        return true
    }

    func log(_ outcome: Outcome) {
        let eventID = outcome.eventID
        for job in outcome.commit.newJobs {
            let state = job.state == .planned ? "planned" : job.state.rawValue
            if job.state == .skipped { metrics.notification(channel: job.channel, result: "skipped", seconds: 0) }
            logger.info(
                "notification \(state)",
                [
                    "event.id": eventID, "rule": job.rule, "channel": job.channel, "job": job.id,
                    "due": stamp(job.dueAt), "reason": job.reason ?? "",
                ])
        }
        for cancellation in outcome.cancellations {
            logger.info(
                "notification cancelled",
                ["event.id": eventID, "job": cancellation.jobID, "reason": cancellation.reason])
        }
    }

    private func makeJob(_ planned: PlannedNotification, event: Event, runtime: Runtime, now: Date) -> NewJob {
        var due = planned.dueAt
        var state = JobState.planned
        var reason: String?
        if case .skip(let why) = planned.decision {
            state = .skipped
            reason = why
        } else {
            reason = lateSendReason(planned, runtime: runtime, now: now)
            if let quiet = runtime.channels[planned.channel]?.options.quietHours {
                let moved = quiet.adjust(due, timeZone: shopClock.timeZone)
                if moved != due {
                    let note =
                        "due \(stamp(due)) inside the quiet hours of channel \(planned.channel), "
                        + "moved to \(stamp(moved))"
                    reason = reason.map { "\($0); \(note)" } ?? note
                    due = moved
                }
            }
        }
        // The message itself is rendered again at send time from the appointment's latest state, so the job
        // keeps only what the send needs from the plan. (A webhook entry without a body renders to the whole
        // event: storing it again in every job, and parsing it back at each send, was a tenth of a push's cost.)
        let record: JSONValue = ["grace": .double(planned.grace)]
        return NewJob(
            id: Bytes.timeOrderedUUID(), key: planned.key, rule: planned.rule, entry: planned.entry,
            channel: planned.channel,
            orderKey: event.orderNum, eventID: event.envelope.id, dueAt: due, state: state, reason: reason,
            payload: record.serializedBytes())
    }

    /// Why a notification goes out now although its rule's time has passed (`late: send`), or nil.
    ///
    /// The plan keeps the rule's time in the job key and puts the due time at `now`; telling the two apart here
    /// saves changing the planner's types.
    private func lateSendReason(_ planned: PlannedNotification, runtime: Runtime, now: Date) -> String? {
        guard let rule = runtime.rules.rule(named: planned.rule), let at = rule.at, rule.late == .send,
            let last = planned.key.split(separator: "|").last, let ms = Int64(last)
        else { return nil }
        let wanted = Date(timeIntervalSince1970: Double(ms) / 1000)
        guard wanted < now else { return nil }
        return "at: \(at.source) = \(stamp(wanted)) was already past at \(stamp(now)); sent now (late: send)"
    }

    private func stamp(_ date: Date) -> String { shopClock.format(date, pattern: "yyyy-MM-dd HH:mm:ss") }
}
