import Events
import Foundation
import JSON

/// The simulation output of a plan, for people and for scripts.
extension RuleSet {
    /// Each rule matched or not and why, then each notification's channel, send time in the zone and text.
    public func describe(_ plan: Plan) -> String {
        var lines: [String] = []
        for result in plan.results {
            lines.append(result.matched ? "✓ \(result.rule): matched" : "✗ \(result.rule): \(result.why)")
        }
        if plan.notifications.isEmpty { lines.append("no notifications") }
        for note in plan.notifications {
            let when = Value.time(note.dueAt.timeIntervalSince1970).display(zone)
            let verdict: String
            switch note.decision {
            case .send: verdict = "send at \(when)"
            case .skip(let reason): verdict = "skip: \(reason)"
            }
            lines.append("→ \(note.rule)#\(note.entry) via \(note.channel) (\(note.channelType)): \(verdict)")
            for (field, value) in note.payload.objectValue ?? JSONObject() {
                let text = value.stringValue ?? value.serialized()
                let indented = text.split(separator: "\n", omittingEmptySubsequences: false)
                    .joined(separator: "\n      ")
                lines.append("    \(field): \(indented)")
            }
        }
        return lines.joined(separator: "\n")
    }

    /// The plan as JSON: `{rules: [{rule, matched, why}], notifications: [{rule, entry, channel, ...}]}`.
    public func describeJSON(_ plan: Plan) -> JSONValue {
        let rules: [JSONValue] = plan.results.map {
            ["rule": .string($0.rule), "matched": .bool($0.matched), "why": .string($0.why)]
        }
        let notifications: [JSONValue] = plan.notifications.map { note in
            var object = JSONObject()
            object["rule"] = .string(note.rule)
            object["entry"] = .int(note.entry)
            object["channel"] = .string(note.channel)
            object["channel_type"] = .string(note.channelType)
            object["due_at"] = .string(Value.time(note.dueAt.timeIntervalSince1970).display(zone))
            object["key"] = .string(note.key)
            object["grace_seconds"] = .double(note.grace)
            object["payload"] = note.payload
            switch note.decision {
            case .send: object["decision"] = "send"
            case .skip(let reason):
                object["decision"] = "skip"
                object["reason"] = .string(reason)
            }
            return .object(object)
        }
        return ["rules": .array(rules), "notifications": .array(notifications)]
    }
}
