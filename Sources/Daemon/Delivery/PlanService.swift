import Channels
import Crypto
import Events
import Foundation
import JSON
import Rules
import Storage
import Telemetry

/// Turns stored events into jobs: runs the rules (a pure plan), compares with the appointment's pending jobs,
/// and commits the difference in one transaction. One serial queue owns planning, so two events of the same
/// appointment are never planned at once.
final class PlanService: @unchecked Sendable {
    let store: Store
    let clock: any Clock
    let shopClock: ShopClock
    let runtime: RuntimeHolder
    let logger: Logger
    let metrics: DaemonMetrics
    /// Called after a commit that may have made a job due sooner.
    let committed: @Sendable () -> Void
    let queue = DispatchQueue(label: "scrm-notify.planner")

    init(
        store: Store, clock: any Clock, shopClock: ShopClock, runtime: RuntimeHolder, logger: Logger,
        metrics: DaemonMetrics, committed: @escaping @Sendable () -> Void
    ) {
        self.store = store
        self.clock = clock
        self.shopClock = shopClock
        self.runtime = runtime
        self.logger = logger
        self.metrics = metrics
        self.committed = committed
    }

    /// Plans a newly stored event, in arrival order.
    func submit(_ event: Event) {
        queue.async { self.plan(event, eventID: event.envelope.id) }
    }

    /// Waits until every submitted event is planned (for tests and shutdown).
    func drain() { queue.sync {} }

    /// Plans events whose plan a crash kept from being committed; runs at start-up.
    func recoverUnplanned() {
        queue.sync {
            while let batch = try? store.unplannedEvents(limit: 500), !batch.isEmpty {
                for stored in batch {
                    guard let event = try? Event.decode(stored.raw, clock: shopClock) else {
                        try? store.commitPlan(
                            PlanCommit(eventID: stored.id, newJobs: [], cancel: [], reschedule: [], at: clock.now()))
                        continue
                    }
                    plan(event, eventID: stored.id)
                }
            }
        }
    }

    /// Re-plans every appointment with pending jobs against the current rules (after a reload).
    func replanPending() {
        queue.async {
            guard let pending = try? self.store.allPendingJobs() else { return }
            var orders = Set<String>()
            for job in pending { if let order = job.orderKey { orders.insert(order) } }
            for order in orders {
                guard let stored = try? self.store.latestEvent(orderKey: order),
                    let event = try? Event.decode(stored.raw, clock: self.shopClock)
                else { continue }
                self.plan(event, eventID: nil)
            }
        }
    }

    /// Plans one event on the planner's queue; `eventID` marks the inbox row planned when given.
    private func plan(_ event: Event, eventID: String?) {
        let runtime = runtime.current
        let now = clock.now()
        let plan = runtime.rules.plan(event, now: now)
        var pending: [Job] = []
        if let order = event.orderNum { pending = (try? store.pendingJobs(orderKey: order)) ?? [] }
        let refs = pending.map {
            PendingRef(jobID: $0.id, rule: $0.rule, entry: $0.entry, key: $0.key, dueAt: $0.dueAt)
        }
        let diff = Replanner.diff(planned: plan.notifications, pending: refs)
        let jobs = diff.insert.map { makeJob($0, event: event, runtime: runtime) }
        let commit = PlanCommit(
            eventID: eventID, newJobs: jobs, cancel: diff.cancel.map { ($0.jobID, $0.reason) }, reschedule: [], at: now)
        do {
            try store.commitPlan(commit)
        } catch {
            // The inbox row stays unplanned, so the next start plans it again.
            logger.error("plan not stored", ["event.id": event.envelope.id, "error": "\(error)"])
            return
        }
        for job in jobs {
            let state = job.state == .planned ? "planned" : job.state.rawValue
            logger.info(
                "notification \(state)",
                [
                    "event.id": event.envelope.id, "rule": job.rule, "channel": job.channel, "job": job.id,
                    "due": shopClock.format(job.dueAt, pattern: "yyyy-MM-dd HH:mm:ss"), "reason": job.reason ?? "",
                ])
        }
        for cancellation in diff.cancel {
            logger.info(
                "notification cancelled",
                ["event.id": event.envelope.id, "job": cancellation.jobID, "reason": cancellation.reason])
        }
        committed()
    }

    private func makeJob(_ planned: PlannedNotification, event: Event, runtime: Runtime) -> NewJob {
        var due = planned.dueAt
        var state = JobState.planned
        var reason: String?
        if case .skip(let why) = planned.decision {
            state = .skipped
            reason = why
        } else if let quiet = runtime.channels[planned.channel]?.options.quietHours {
            let moved = quiet.adjust(due, timeZone: shopClock.timeZone)
            if moved != due {
                reason = "moved out of quiet hours"
                due = moved
            }
        }
        let record: JSONValue = ["payload": planned.payload, "grace": .double(planned.grace)]
        return NewJob(
            id: Bytes.uuid(), key: planned.key, rule: planned.rule, entry: planned.entry, channel: planned.channel,
            orderKey: event.orderNum, eventID: event.envelope.id, dueAt: due, state: state, reason: reason,
            payload: record.serializedBytes())
    }
}
