import Foundation
import Testing

@testable import Rules

/// Inputs the fuzz targets (fuzz/expression, fuzz/template) found crashing the loader or the planner; each must
/// now be a load error or a skipped notification.
@Suite struct FuzzRegressionTests {
    /// A rule with `field` under it and one console notification saying `text`.
    static func ruleText(_ field: String, text: String = "hi") -> String {
        """
        rules:
          - name: fuzzed
            on: appointment.created
            \(field)
            notify:
              - channel: console
                text: "\(text)"
        """
    }

    /// The load errors of `text`, or nil when it loads.
    static func errors(_ text: String) -> [String]? {
        switch RuleSet.load(text: text, file: "fuzz.yaml", channels: [:], clock: PlanningHarness.clock) {
        case .failure(let errors): errors.diagnostics.map(\.message)
        case .success: nil
        }
    }

    /// `order.arrival_time` plus `count` times 100,000,000 days: each step is in range, the sum is not.
    static func farTime(_ count: Int) -> String {
        "order.arrival_time" + String(repeating: " + 100000000d", count: count)
    }

    @Test func aTruncateCountTooLargeForAnIntIsALoadError() throws {
        let messages = try #require(
            Self.errors(Self.ruleText("when: true", text: "{{ order.order_num | truncate 1e300 }}")))
        #expect(messages.contains { $0.contains("whole number of characters") })
    }

    @Test func aBodyIndexTooLargeForAnIntIsALoadError() throws {
        let messages = try #require(Self.errors(Self.ruleText("when: body.order[1e300] == 1")))
        #expect(messages.contains { $0.contains("whole number") })
    }

    @Test func aDurationBeyondTheTimeRangeIsALoadError() throws {
        let messages = try #require(Self.errors(Self.ruleText("at: order.arrival_time + 100000000000000000d")))
        #expect(messages.contains { $0.contains("neither a number nor a duration") })
    }

    @Test func anAtTimeThatArithmeticPushesOutOfRangeIsSkippedNotACrash() throws {
        let rules = try PlanningHarness.rules(Self.ruleText("at: \(Self.farTime(1100))"))
        let plan = rules.plan(try PlanningHarness.event(), now: PlanningHarness.time("2024-10-15 10:00:00"))
        let note = try #require(plan.notifications.first)
        guard case .skip(let reason) = note.decision else {
            Issue.record("expected the out-of-range time to be skipped, got \(note.decision)")
            return
        }
        #expect(reason.contains("has no time"))
    }

    @Test func anHourOfAnOutOfRangeTimeIsNullSoTheRuleDoesNotMatch() throws {
        let rules = try PlanningHarness.rules(Self.ruleText("when: hour(\(Self.farTime(1100))) >= 0"))
        let plan = rules.plan(try PlanningHarness.event(), now: PlanningHarness.time("2024-10-15 10:00:00"))
        #expect(plan.results.map(\.matched) == [false])
        #expect(plan.notifications.isEmpty)
    }

    @Test func timeArithmeticWithinTheRangeStillWorks() throws {
        let rules = try PlanningHarness.rules(Self.ruleText("at: order.arrival_time + 1000d - 1000d - 2h"))
        let plan = rules.plan(try PlanningHarness.event(), now: PlanningHarness.time("2024-10-15 10:00:00"))
        #expect(plan.notifications.first?.dueAt == PlanningHarness.time("2024-10-15 16:30:00"))
    }
}
