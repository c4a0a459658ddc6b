import Events
import Foundation
import JSON
import Storage

/// How a job is shown to people and scripts: times in the shop's zone, the reason for every job not sent.
public enum JobView {
    /// The job as JSON for the admin API and `jobs --json`; `now` tells a due job from a planned one.
    public static func json(_ job: Job, shopClock: ShopClock, now: Date = Date()) -> JSONValue {
        var object = JSONObject()
        object["id"] = .string(job.id)
        object["rule"] = .string(job.rule)
        object["entry"] = .int(job.entry)
        object["channel"] = .string(job.channel)
        object["order"] = job.orderKey.map(JSONValue.string) ?? .null
        object["event"] = .string(job.eventID)
        object["state"] = .string(state(job, now: now))
        object["due"] = .string(format(job.dueAt, shopClock))
        object["attempts"] = .int(job.attempts)
        object["reason"] = reason(job, shopClock: shopClock, now: now).map(JSONValue.string) ?? .null
        object["sent"] = job.sentAt.map { .string(format($0, shopClock)) } ?? .null
        return .object(object)
    }

    /// One line per job for people.
    public static func line(_ job: Job, shopClock: ShopClock, now: Date = Date()) -> String {
        var parts = [
            format(job.dueAt, shopClock), state(job, now: now).padding(toLength: 9, withPad: " ", startingAt: 0),
            job.rule, "→", job.channel, "order=\(job.orderKey ?? "-")", "attempts=\(job.attempts)", "id=\(job.id)",
        ]
        if let reason = reason(job, shopClock: shopClock, now: now) { parts.append("reason=\"\(reason)\"") }
        return parts.joined(separator: " ")
    }

    /// The state shown: a planned job whose run time has come is "due" (waiting for a free sender).
    static func state(_ job: Job, now: Date) -> String {
        job.state == .planned && (job.nextAttemptAt ?? job.dueAt) <= now ? "due" : job.state.rawValue
    }

    /// Why the job has not been sent (nil once sent): the stored reason, or where it stands.
    static func reason(_ job: Job, shopClock: ShopClock, now: Date) -> String? {
        switch job.state {
        case .sent: return nil
        case .planned:
            let runAt = job.nextAttemptAt ?? job.dueAt
            let waiting =
                runAt <= now ? "due since \(format(runAt, shopClock))" : "waiting until \(format(runAt, shopClock))"
            return job.reason.map { "\(waiting); \($0)" } ?? waiting
        case .sending: return "being sent (attempt \(job.attempts))"
        default: return job.reason ?? "no reason recorded"
        }
    }

    static func format(_ date: Date, _ shopClock: ShopClock) -> String {
        shopClock.format(date, pattern: "yyyy-MM-dd HH:mm:ss")
    }
}
