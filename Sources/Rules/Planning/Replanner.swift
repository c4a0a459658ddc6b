import Foundation

/// A not-yet-sent job of an appointment, as the store knows it.
public struct PendingRef: Sendable, Equatable {
    public let jobID: String
    public let rule: String
    public let entry: Int
    public let key: String
    public let dueAt: Date

    public init(jobID: String, rule: String, entry: Int, key: String, dueAt: Date) {
        self.jobID = jobID
        self.rule = rule
        self.entry = entry
        self.key = key
        self.dueAt = dueAt
    }
}

/// What a re-plan changes: jobs to add and pending jobs to cancel, with why.
public struct ReplanDiff: Sendable, Equatable {
    /// Planned notifications whose key is not pending.
    public let insert: [PlannedNotification]
    /// Pending jobs no longer wanted.
    public let cancel: [Cancellation]

    /// One pending job to cancel.
    public struct Cancellation: Sendable, Equatable {
        public let jobID: String
        public let reason: String
    }
}

/// Compares a fresh plan with an appointment's pending jobs. Keys already sent are protected by the store.
public enum Replanner {
    /// The diff between `planned` and `pending`.
    public static func diff(planned: [PlannedNotification], pending: [PendingRef]) -> ReplanDiff {
        diff(planned: planned, pending: pending, results: [])
    }

    /// The diff of a whole plan, whose rule results say why a rule no longer matches.
    public static func diff(plan: Plan, pending: [PendingRef]) -> ReplanDiff {
        diff(planned: plan.notifications, pending: pending, results: plan.results)
    }

    private static func diff(planned: [PlannedNotification], pending: [PendingRef], results: [RuleResult])
        -> ReplanDiff
    {
        let pendingKeys = Set(pending.map(\.key))
        let plannedKeys = Set(planned.map(\.key))
        let insert = planned.filter { !pendingKeys.contains($0.key) }
        var cancel: [ReplanDiff.Cancellation] = []
        for job in pending where !plannedKeys.contains(job.key) {
            let reason: String
            if let moved = planned.first(where: { $0.rule == job.rule && $0.entry == job.entry }) {
                if case .skip(let why) = moved.decision {
                    reason = "rule \(job.rule) now skips: \(why)"
                } else {
                    reason = "time moved from \(stamp(job.dueAt)) to \(stamp(moved.dueAt))"
                }
            } else if let result = results.first(where: { $0.rule == job.rule }) {
                reason = "rule \(job.rule) no longer matches: \(result.why)"
            } else if !results.isEmpty {
                reason = "rule \(job.rule) no longer exists"
            } else {
                reason = "rule \(job.rule) no longer matches"
            }
            cancel.append(ReplanDiff.Cancellation(jobID: job.jobID, reason: reason))
        }
        return ReplanDiff(insert: insert, cancel: cancel)
    }

    private static func stamp(_ date: Date) -> String { ISO8601DateFormatter().string(from: date) }
}
