import Foundation
import JSON

/// What the rules make of one event: each rule's verdict and the notifications to store as jobs.
public struct Plan: Sendable {
    public let results: [RuleResult]
    public let notifications: [PlannedNotification]
}

/// Whether one rule matched an event, and why not when it did not.
public struct RuleResult: Sendable, Equatable {
    public let rule: String
    public let matched: Bool
    /// For a non-match, which part failed and the values it saw; empty for a match.
    public let why: String
}

/// Whether a planned notification is to be sent or is recorded as skipped.
public enum Decision: Sendable, Equatable {
    case send
    case skip(String)
}

/// One notification a rule asks for: a future job.
public struct PlannedNotification: Sendable, Equatable {
    public let rule: String
    /// The index of the entry in the rule's `notify` list.
    public let entry: Int
    public let channel: String
    public let channelType: String
    public let dueAt: Date
    public let decision: Decision
    /// `rule|orderNum|entry|<time ms>`: the store refuses a second job with the same key.
    public let key: String
    /// The entry rendered: an object of field → rendered value; null from a plan made without rendering.
    public let payload: JSONValue
    /// How late, in seconds, the send may still go out.
    public let grace: Double
}

/// The verdict of the send-time re-check.
public enum Recheck: Sendable, Equatable {
    /// Still wanted: the entry re-rendered on the latest state.
    case send(JSONValue)
    case drop(reason: String)
    /// The rule or entry no longer exists.
    case ruleGone
}
