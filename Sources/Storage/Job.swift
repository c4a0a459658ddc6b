import Foundation

/// Where a job is in its life.
public enum JobState: String, Sendable, CaseIterable {
    /// Waiting for its run time (first attempt or a retry).
    case planned
    /// Claimed by a delivery worker; a crash leaves it here until `recoverInterrupted`.
    case sending
    /// Delivered.
    case sent
    /// Not sent because a rule said so (quiet hours, missing recipient...); `reason` says why.
    case skipped
    /// Its time passed before it could be sent.
    case missed
    /// Given up after an error that retrying cannot fix, or after the last retry.
    case failed
    /// Withdrawn by a re-plan or an operator.
    case cancelled
}

/// One notification to send: a row of the outbox.
public struct Job: Sendable, Equatable {
    /// A UUID in text, also the idempotency key handed to gateways.
    public var id: String
    /// The dedup key "rule|orderKey|entry|time": a job with the same key is never created twice, whatever its state.
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
    /// Where it is in its life.
    public var state: JobState
    /// How many times it was claimed for sending.
    public var attempts: Int
    /// When the next attempt may run, after a retry or `retryFailed`; nil while `dueAt` governs.
    public var nextAttemptAt: Date?
    /// Why it was not sent (skipped, missed, failed, cancelled), or the last retry's reason.
    public var reason: String?
    /// What to send, opaque to the store.
    public var payload: [UInt8]
    /// When it was planned.
    public var createdAt: Date
    /// When it last changed.
    public var updatedAt: Date
    /// When it was delivered.
    public var sentAt: Date?

    /// Makes a job from its parts.
    public init(
        id: String, key: String, rule: String, entry: Int, channel: String, orderKey: String?, eventID: String,
        dueAt: Date, state: JobState, attempts: Int, nextAttemptAt: Date?, reason: String?, payload: [UInt8],
        createdAt: Date, updatedAt: Date, sentAt: Date?
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
        self.attempts = attempts
        self.nextAttemptAt = nextAttemptAt
        self.reason = reason
        self.payload = payload
        self.createdAt = createdAt
        self.updatedAt = updatedAt
        self.sentAt = sentAt
    }
}

/// One attempt to send a job, as recorded by `Store.finish`.
public struct Attempt: Sendable, Equatable {
    /// The job it belongs to.
    public var jobID: String
    /// 1 for the first attempt, counting every claim.
    public var number: Int
    /// When it ended.
    public var at: Date
    /// "sent", "retry", "failed", "missed", "cancelled", or "interrupted" (found in `sending` at start).
    public var outcome: String
    /// The gateway's detail or the reason it did not succeed.
    public var reason: String?
    /// From the claim to the end, in milliseconds.
    public var durationMs: Int

    /// Makes an attempt from its parts.
    public init(jobID: String, number: Int, at: Date, outcome: String, reason: String?, durationMs: Int) {
        self.jobID = jobID
        self.number = number
        self.at = at
        self.outcome = outcome
        self.reason = reason
        self.durationMs = durationMs
    }
}
