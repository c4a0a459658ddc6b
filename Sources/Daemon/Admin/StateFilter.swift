import Foundation
import Storage

/// A state to list jobs by, as `jobs` shows them: a stored state, or `due` — planned, and its time has come.
public struct StateFilter: Sendable {
    /// The stored state to ask the store for.
    public let stored: JobState
    private let dueOnly: Bool

    /// Every name a filter takes, for messages.
    public static let names = JobState.allCases.map(\.rawValue) + ["due"]

    /// The filter called `name`, or nil for an unknown name.
    public init?(_ name: String) {
        if name == "due" {
            stored = .planned
            dueOnly = true
        } else if let state = JobState(rawValue: name) {
            stored = state
            dueOnly = false
        } else {
            return nil
        }
    }

    /// Whether `job`, read with the stored state, is listed at `now`.
    public func keeps(_ job: Job, now: Date) -> Bool {
        !dueOnly || JobView.state(job, now: now) == "due"
    }
}
