import Events
import Foundation
import Rules
import Storage

extension PlanService {
    /// Plans `event`, which arrived at `now` and is about to be stored as `raw`, so that its plan is stored with it.
    ///
    /// The rules run here, on the caller's thread; the store then hands the appointment's pending jobs to the
    /// result inside the transaction that stores the event (`Store.accept(_:planning:completion:)`). The event
    /// is not decoded again by the planner, and not queued for it.
    func planOnArrival(_ event: Event, raw: [UInt8], at now: Date) -> ArrivalPlan {
        let (runtime, generation) = runtime.versioned
        let listened = runtime.rules.rules.contains { $0.on == event.kind }
        events.remember(event, raw: raw)
        return ArrivalPlan(
            planner: self, event: event, plan: listened ? runtime.rules.plan(event, now: now, rendering: false) : nil,
            runtime: runtime, generation: generation, now: now)
    }

    /// Returns once every arrival plan that may still be stored has committed.
    ///
    /// A re-plan calls it before its first page, after `isReplanning` was set: an arrival plan either committed
    /// before this returns, where the re-plan finds its jobs, or sees the re-plan under way and is left to the
    /// planner's queue.
    func waitForArrivalPlans() { store.waitForWritesInFlight() }

    /// Puts jobs claimed by a commit that failed back to `planned`, for the scheduler. The commit may still have
    /// reached the disk (a failed sync), and then nothing else would send them before a restart. Off the caller's
    /// thread, which may be the store's own.
    func unclaim(_ jobs: [Job]) {
        guard !jobs.isEmpty else { return }
        DispatchQueue.global().async { [self] in
            let now = clock.now()
            for job in jobs {
                _ = try? store.postpone(
                    jobID: job.id, until: job.dueAt, reason: "claimed by a commit that failed", at: now)
            }
            committed()
        }
    }
}

/// The plan of one arriving event: made with the running rules before the event is stored, finished against the
/// appointment's pending jobs inside the transaction that stores it, logged once that has committed.
final class ArrivalPlan: @unchecked Sendable {
    private let planner: PlanService
    private let event: Event
    /// Nil when no rule listens for the event's kind: nothing is planned, and no pending job changes.
    private let plan: Plan?
    private let runtime: Runtime
    private let generation: Int
    private let now: Date
    // Set by `finish` on the committing thread, read by `settle` after the commit, on the syncer thread.
    private var outcome: PlanService.Outcome?
    private var claim: InlineClaim?

    init(planner: PlanService, event: Event, plan: Plan?, runtime: Runtime, generation: Int, now: Date) {
        self.planner = planner
        self.event = event
        self.plan = plan
        self.runtime = runtime
        self.generation = generation
        self.now = now
    }

    /// The plan to store with the event, given its appointment's planned jobs; nil, leaving the event to the
    /// planner's queue, when the rules were reloaded since the plan was made or a re-plan is under way.
    func finish(pending: [Job]) -> PlanCommit? {
        // Called again when the store writes the batch again (`GroupCommit`): the places taken the first time
        // go back first.
        if let earlier = claim {
            claim = nil
            planner.claims?.dispatchClaimed([], reserved: earlier.limit)
        }
        guard planner.runtime.currentGeneration == generation, !planner.isReplanning else { return nil }
        let made: PlanService.Outcome
        if let plan {
            made = planner.outcome(
                of: plan, event: event, eventID: nil, pending: pending, runtime: runtime, now: now)
        } else {
            made = PlanService.Outcome(
                eventID: event.envelope.id, commit: PlanCommit(eventID: nil, newJobs: [], at: now),
                cancellations: [])
        }
        var commit = made.commit
        // The jobs due now are claimed as they are stored and sent from here, without a claim of their own: the
        // claim cost the committer an update and a read per push, and a send waited for a second commit.
        let due = commit.newJobs.filter { $0.isClaimable(by: now) }.count
        if due > 0, let reserved = planner.claims?.reserve(due), reserved > 0 {
            let claim = InlineClaim(limit: reserved)
            commit.claim = claim
            self.claim = claim
        }
        outcome = made
        return commit
    }

    /// Logs what was planned, once the plan has committed with its event; before the push is answered, so that
    /// an answered push has its plan in the log.
    func logStored() {
        if let outcome { planner.log(outcome) }
    }

    /// Once the event's commit has ended (and the push is answered): sends the jobs claimed with it and tells the
    /// scheduler when `stored` (the plan committed with its event); otherwise gives back the places taken.
    func settle(stored: Bool) {
        if let claim {
            self.claim = nil
            if stored {
                planner.claims?.dispatchClaimed(claim.jobs, reserved: claim.limit)
            } else {
                planner.claims?.dispatchClaimed([], reserved: claim.limit)
                planner.unclaim(claim.jobs)
            }
        }
        guard stored, outcome != nil else { return }
        planner.committed()
    }
}
