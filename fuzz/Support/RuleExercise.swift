import Events
import Foundation
import JSON
import Rules

/// Loads rule text and, when it loads, runs the reference events through it the way the daemon does.
public enum RuleExercise {
    /// The configured channels the fuzzed rules may name, one of each type.
    public static let channels = [
        "wecom": "wecom", "dingtalk": "dingtalk", "feishu": "feishu", "slack": "slack", "hook": "webhook",
        "sms": "aliyun-sms", "tsms": "tencent-sms", "mail": "smtp",
    ]

    static let clock = ShopClock()

    /// The reference example, and a bare appointment with nothing but its order number.
    static let events: [Event] = {
        let example = FuzzFixtures.bytes("Tests/Fixtures/Events/plain-example.json")
        let bare = Array(#"{"id":"1","event":"E","action":"A","body":{"order":{"order_num":"X1"}}}"#.utf8)
        return [example, bare].map { try! Event.decode($0, clock: clock) }
    }()

    /// Moments to plan at: long before, just before and long after the example's arrival.
    static let moments = [0.0, 1_728_980_000, 1_728_988_200, 4_102_444_800].map(Date.init(timeIntervalSince1970:))

    /// Loads `text` as the rule file `fuzz.yaml`; on success plans, describes and rechecks every event.
    public static func run(_ text: String) {
        switch RuleSet.load(text: text, file: "fuzz.yaml", channels: channels, clock: clock) {
        case .failure(let errors): _ = errors.description
        case .success(let rules): plan(rules)
        }
    }

    private static func plan(_ rules: RuleSet) {
        for event in events {
            for now in moments {
                let plan = rules.plan(event, now: now)
                _ = rules.describe(plan)
                _ = rules.describeJSON(plan).serializedBytes()
                for note in plan.notifications {
                    _ = note.payload.serializedBytes()
                    _ = rules.recheck(rule: note.rule, entry: note.entry, event: event, now: now)
                }
            }
        }
    }
}
