import Foundation

/// A job for `Store.commitPlan` to create.
public struct NewJob: Sendable, Equatable {
    /// A UUID in text, also the idempotency key handed to gateways.
    public var id: String
    /// The dedup key "rule|orderKey|entry|time"; a job whose key exists already is not created again.
    public var key: String
    /// The rule that planned it.
    public var rule: String
    /// The index of the notification within the rule.
    public var entry: Int
    /// The channel name it goes through.
    public var channel: String
    /// The appointment it belongs to.
    public var orderKey: String?
    /// The event that led to it.
    public var eventID: String
    /// When the rule wants it sent.
    public var dueAt: Date
    /// `.planned`, or `.skipped`/`.missed` with a reason to record a notification that will not be sent.
    public var state: JobState
    /// Why it will not be sent, for skipped and missed jobs.
    public var reason: String?
    /// What to send, opaque to the store.
    public var payload: [UInt8]

    /// Makes a new job from its parts.
    public init(
        id: String, key: String, rule: String, entry: Int, channel: String, orderKey: String?, eventID: String,
        dueAt: Date, state: JobState = .planned, reason: String? = nil, payload: [UInt8]
    ) {
        self.id = id
        self.key = key
        self.rule = rule
        self.entry = entry
        self.channel = channel
        self.orderKey = orderKey
        self.eventID = eventID
        self.dueAt = dueAt
        self.state = state
        self.reason = reason
        self.payload = payload
    }

    /// Whether a plan made at `at` may claim this job as it stores it (`InlineClaim`): planned, and due by then
    /// to the millisecond, as the store keeps times.
    public func isClaimable(by at: Date) -> Bool {
        state == .planned && Milliseconds.from(dueAt) <= Milliseconds.from(at)
    }
}

/// The result of planning one event (or re-planning after a rule reload), committed as one transaction.
public struct PlanCommit: Sendable {
    /// The event to mark planned; nil for a re-plan that is not about one event.
    public var eventID: String?
    /// Jobs to create; those whose key exists already are left alone.
    public var newJobs: [NewJob]
    /// Pending jobs to cancel, with the reason.
    public var cancel: [(jobID: String, reason: String)]
    /// Pending jobs to move to a new due time.
    public var reschedule: [(jobID: String, dueAt: Date)]
    /// The time of the plan, recorded as the jobs' creation or update time.
    public var at: Date
    /// Lets the plan claim the new jobs it makes due by `at` for delivery as it stores them; nil claims none.
    public var claim: InlineClaim?

    /// Makes a plan from its parts.
    public init(
        eventID: String?, newJobs: [NewJob], cancel: [(jobID: String, reason: String)] = [],
        reschedule: [(jobID: String, dueAt: Date)] = [], at: Date
    ) {
        self.eventID = eventID
        self.newJobs = newJobs
        self.cancel = cancel
        self.reschedule = reschedule
        self.at = at
    }
}

/// Up to `limit` new jobs that a plan claims as it stores them, as `Store.claimDue` would claim them once stored:
/// each is stored in `sending` with its first attempt counted, and goes to delivery without a claim of its own.
///
/// Only jobs due by the plan's time are claimed, and none while an earlier job is due and waiting, so that due
/// jobs still go out in order. The store fills in `jobs` inside the transaction; read it once the commit has
/// reached the disk.
public final class InlineClaim: @unchecked Sendable {
    /// How many jobs may be claimed.
    public let limit: Int
    /// The jobs claimed, as stored.
    public internal(set) var jobs: [Job] = []

    public init(limit: Int) { self.limit = limit }
}

/// How a delivery attempt ended, for `Store.finish`.
public enum JobOutcome: Sendable, Equatable {
    /// Delivered; `detail` is the gateway's message id or answer, kept with the attempt.
    case sent(detail: String?)
    /// Not delivered, try again at `at` (backoff or Retry-After).
    case retry(reason: String, at: Date)
    /// Given up.
    case failed(reason: String)
    /// Too late to send.
    case missed(reason: String)
    /// Withdrawn while it was being sent.
    case cancelled(reason: String)
}
