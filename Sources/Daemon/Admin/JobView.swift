import Events
import Foundation
import JSON
import Storage

/// How a job is shown to people and scripts: times in the shop's zone, the reason for every job not sent.
public enum JobView {
    /// The job as JSON for the admin API and `jobs --json`.
    public static func json(_ job: Job, shopClock: ShopClock) -> JSONValue {
        var object = JSONObject()
        object["id"] = .string(job.id)
        object["rule"] = .string(job.rule)
        object["entry"] = .int(job.entry)
        object["channel"] = .string(job.channel)
        object["order"] = job.orderKey.map(JSONValue.string) ?? .null
        object["event"] = .string(job.eventID)
        object["state"] = .string(job.state.rawValue)
        object["due"] = .string(format(job.dueAt, shopClock))
        object["attempts"] = .int(job.attempts)
        object["reason"] = job.reason.map(JSONValue.string) ?? .null
        object["sent"] = job.sentAt.map { .string(format($0, shopClock)) } ?? .null
        return .object(object)
    }

    /// One line per job for people.
    public static func line(_ job: Job, shopClock: ShopClock) -> String {
        var parts = [
            format(job.dueAt, shopClock), job.state.rawValue.padding(toLength: 9, withPad: " ", startingAt: 0),
            job.rule, "→", job.channel, "order=\(job.orderKey ?? "-")", "attempts=\(job.attempts)", "id=\(job.id)",
        ]
        if let reason = job.reason, job.state != .sent { parts.append("reason=\"\(reason)\"") }
        return parts.joined(separator: " ")
    }

    static func format(_ date: Date, _ shopClock: ShopClock) -> String {
        shopClock.format(date, pattern: "yyyy-MM-dd HH:mm:ss")
    }
}
