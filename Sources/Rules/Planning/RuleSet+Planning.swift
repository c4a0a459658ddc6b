import Events
import Foundation
import JSON

/// Planning: a pure function of the event, the rules and `now`.
extension RuleSet {
    /// Runs `event` through every rule at `now`.
    ///
    /// Each notification's payload is rendered, unless `rendering` is false and it stays null: the daemon stores
    /// none of it, as the send renders the entry again from the appointment's latest state.
    public func plan(_ event: Event, now: Date, rendering: Bool = true) -> Plan {
        let context = context(event, now: now)
        // Computed once: for a raw action it is built text.
        let kind = event.kind
        var results: [RuleResult] = []
        var notifications: [PlannedNotification] = []
        for rule in rules {
            if let why = mismatch(rule, kind, context) {
                results.append(RuleResult(rule: rule.name, matched: false, why: why))
                continue
            }
            results.append(RuleResult(rule: rule.name, matched: true, why: ""))
            let (due, keyTime, decision) = schedule(rule, context)
            for (index, entry) in rule.notify.enumerated() {
                notifications.append(
                    PlannedNotification(
                        rule: rule.name, entry: index, channel: entry.channel, channelType: entry.channelType,
                        dueAt: due, decision: decision, key: Self.key(rule.name, event, index, keyTime),
                        payload: rendering ? render(entry, event, context) : .null, grace: rule.grace))
            }
        }
        return Plan(results: results, notifications: notifications)
    }

    /// Checks at send time whether entry `entry` of `rule` is still wanted for the latest state of the event.
    ///
    /// The payload of a webhook entry without a `body` holds the event's JSON as its body, unless `eventBody` is
    /// false: the daemon sends the event's stored bytes instead (`SendContext.eventBytes`), without building
    /// the tree only to serialize it again.
    public func recheck(rule name: String, entry: Int, event: Event, now: Date, eventBody: Bool = true) -> Recheck {
        guard let rule = rule(named: name), rule.notify.indices.contains(entry) else { return .ruleGone }
        let context = context(event, now: now)
        let kind = event.kind
        if let why = mismatch(rule, kind, context) {
            return .drop(reason: rule.on == kind ? "when is now false: \(why)" : why)
        }
        return .send(render(rule.notify[entry], event, context, eventBody: eventBody))
    }

    /// The store key: `rule|order|entry|<ms>`; a rule without `at` sends once per appointment (`once`), so a
    /// pushed-again booking is not announced twice. Events without an appointment key on their event id.
    static func key(_ rule: String, _ event: Event, _ entry: Int, _ time: Double?) -> String {
        let subject = event.orderNum ?? "event:\(event.envelope.id)"
        let when = time.map { String(Int64(($0 * 1000).rounded())) } ?? "once"
        return "\(rule)|\(subject)|\(entry)|\(when)"
    }

    /// Why `rule` does not match, or nil when it does.
    private func mismatch(_ rule: Rule, _ kind: String, _ context: EvaluationContext) -> String? {
        guard rule.on == kind else { return "on: \(rule.on) does not match \(kind)" }
        guard let when = rule.when, !when.evaluate(context).isTrue else { return nil }
        return when.explainFalse(context, table: slots)
    }

    /// When the rule's notifications are due, the time its keys carry, and whether they go out.
    private func schedule(_ rule: Rule, _ context: EvaluationContext) -> (Date, Double?, Decision) {
        let now = Date(timeIntervalSince1970: context.now)
        guard let at = rule.at else { return (now, nil, .send) }
        let value = at.evaluate(context)
        guard case .time(let time) = value.asTime(zone) else {
            return (now, nil, .skip("at: \(at.source) has no time (\(value.quoted(zone)))"))
        }
        let due = Date(timeIntervalSince1970: time)
        guard time < context.now else { return (due, time, .send) }
        let past =
            "at: \(at.source) = \(Value.time(time).display(zone)) was already past at "
            + Value.time(context.now).display(zone)
        switch rule.late {
        case .skip: return (due, time, .skip(past))
        case .send: return (now, time, .send)
        }
    }

    /// The entry's fields rendered into JSON; a webhook without `body` gets the event's JSON, if `eventBody`.
    func render(
        _ entry: NotificationEntry, _ event: Event, _ context: EvaluationContext, eventBody: Bool = true
    ) -> JSONValue {
        var object = JSONObject()
        for (name, value) in entry.fields { object[name] = value.render(context) }
        if eventBody, entry.channelType == "webhook", object["body"] == nil { object["body"] = event.envelope.json }
        return .object(object)
    }
}

extension EntryValue {
    /// The value with every template rendered.
    func render(_ context: EvaluationContext) -> JSONValue {
        switch self {
        case .template(let template): .string(template.render(context))
        case .constant(let value): value
        case .list(let items): .array(items.map { $0.render(context) })
        case .map(let pairs):
            .object(
                pairs.reduce(into: JSONObject()) { object, pair in object[pair.key] = pair.value.render(context) })
        }
    }
}

extension Value {
    /// A dynamic value read as a time: a time stays, a `yyyy-MM-dd HH:mm:ss` string is parsed in the zone.
    func asTime(_ zone: ZoneMath) -> Value {
        switch self {
        case .time: self
        case .string(let text): zone.parse(text).map(Value.time) ?? .null
        default: .null
        }
    }
}
