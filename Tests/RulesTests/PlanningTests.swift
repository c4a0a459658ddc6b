import Events
import Foundation
import JSON
import Testing

@testable import Rules

/// Loads rules from text and decodes the reference plaintext example, with changes.
struct PlanningHarness {
    static let clock = ShopClock(timeZone: TimeZone(identifier: "Asia/Shanghai")!)
    static let fixture = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
        .appendingPathComponent("../Fixtures/Events/plain-example.json").standardized.path

    static func rules(_ text: String, channels: [String: String] = [:]) throws -> RuleSet {
        try RuleSet.load(text: text, file: "test.yaml", channels: channels, clock: clock).get()
    }

    /// The reference event with `order` members replaced by `changes`.
    static func event(_ changes: [String: JSONValue] = [:]) throws -> Event {
        let data = try #require(FileManager.default.contents(atPath: fixture))
        var envelope = try JSONValue.parse([UInt8](data))
        guard case .object(var root) = envelope, case .object(var body)? = root["body"],
            case .object(var order)? = body["order"]
        else { throw PlanningTestError.fixtureShape }
        for (key, value) in changes { order[key] = value }
        body["order"] = .object(order)
        root["body"] = .object(body)
        envelope = .object(root)
        return try Event.decode(envelope.serializedBytes(), clock: clock)
    }

    static func time(_ text: String) -> Date { clock.parse(text)! }
}

enum PlanningTestError: Error { case fixtureShape }

@Suite struct PlanningTests {
    static let designRules = """
        rules:
          - name: new-booking-to-staff
            on: appointment.created
            when: order.order_status == 10
            notify:
              - channel: store-group
                markdown: |
                  新预约 {{ order.order_num }}: {{ order.customer_name | default "?" }}
                  {{ order.project_name }}, {{ order.arrival_time | date "MM-dd HH:mm" }}
          - name: remind-customer
            on: appointment.created
            when: order.order_status in [10, 20] && order.project_name != "维修服务"
            at: order.arrival_time - 2h
            notify:
              - channel: customer-sms
                to: "{{ order.appointment_user_phone }}"
                template: SMS_123456
                params: {name: "{{ order.appointment_user_name }}", time: "{{ order.arrival_time | date \\"HH:mm\\" }}"}
          - name: follow-up
            on: appointment.created
            at: order.service_end_time + 1d
            notify:
              - {channel: mail, to: ["crm@example.com"], subject: "回访 {{ order.appointment_user_name }}", text: "…"}
          - name: other-events
            on: action:SOMETHING_ELSE
            notify:
              - {channel: console, text: "x"}
        """
    static let channels = ["store-group": "wecom", "customer-sms": "aliyun-sms", "mail": "smtp"]

    @Test func theReferenceExamplePlansTheDesignRules() throws {
        let rules = try PlanningHarness.rules(Self.designRules, channels: Self.channels)
        let now = PlanningHarness.time("2024-10-15 18:06:00")
        let plan = rules.plan(try PlanningHarness.event(), now: now)
        #expect(plan.results.map(\.matched) == [true, false, true, false])
        #expect(plan.results[1].why == "order.project_name != \"维修服务\" is false (order.project_name = \"维修服务\")")
        #expect(plan.results[3].why == "on: action:SOMETHING_ELSE does not match appointment.created")
        let staff = try #require(plan.notifications.first)
        #expect(staff.dueAt == now && staff.decision == .send && staff.channelType == "wecom")
        #expect(staff.key == "new-booking-to-staff|Y634089652417560576|0|once")
        #expect(staff.payload["markdown"]?.stringValue == "新预约 Y634089652417560576: ?\n维修服务, 10-15 18:30\n")
        let followUp = try #require(plan.notifications.last)
        #expect(followUp.dueAt == PlanningHarness.time("2024-10-16 20:30:00"))
        #expect(followUp.payload["to"] == ["crm@example.com"])
        #expect(followUp.payload["subject"]?.stringValue == "回访 张杨")
        #expect(followUp.key.hasSuffix("|0|\(Int64(followUp.dueAt.timeIntervalSince1970 * 1000))"))
    }

    @Test func aTimeAlreadyPastIsSkippedOrSentNowByLate() throws {
        let text = """
            rules:
              - {name: skip, on: appointment.created, at: order.arrival_time - 2h, notify: [{channel: console, text: a}]}
              - {name: send, on: appointment.created, at: order.arrival_time - 2h, late: send,
                 notify: [{channel: console, text: b}]}
            """
        let rules = try PlanningHarness.rules(text)
        let now = PlanningHarness.time("2024-10-15 18:06:00")
        let plan = rules.plan(try PlanningHarness.event(), now: now)
        guard case .skip(let reason) = plan.notifications[0].decision else {
            Issue.record("expected a skip")
            return
        }
        #expect(reason == "at: order.arrival_time - 2h = 2024-10-15 16:30:00 was already past at 2024-10-15 18:06:00")
        #expect(plan.notifications[1].decision == .send && plan.notifications[1].dueAt == now)
    }

    @Test func paramsKeepTheirShapeAndMissingTimesSkip() throws {
        let rules = try PlanningHarness.rules(Self.designRules, channels: Self.channels)
        let event = try PlanningHarness.event(["project_name": "洗牙", "service_end_time": ""])
        let plan = rules.plan(event, now: PlanningHarness.time("2024-10-15 10:00:00"))
        let sms = try #require(plan.notifications.first { $0.rule == "remind-customer" })
        #expect(sms.payload["params"] == ["name": "张杨", "time": "18:30"])
        #expect(sms.payload["template"] == "SMS_123456")
        #expect(sms.dueAt == PlanningHarness.time("2024-10-15 16:30:00"))
        let followUp = try #require(plan.notifications.first { $0.rule == "follow-up" })
        #expect(followUp.decision == .skip("at: order.service_end_time + 1d has no time (null)"))
    }

    @Test func theSendTimeRecheckDropsACancelledBooking() throws {
        let rules = try PlanningHarness.rules(Self.designRules, channels: Self.channels)
        let now = PlanningHarness.time("2024-10-15 16:30:00")
        let cancelled = try PlanningHarness.event(["order_status": 30, "project_name": "洗牙"])
        #expect(
            rules.recheck(rule: "remind-customer", entry: 0, event: cancelled, now: now)
                == .drop(reason: "when is now false: order.order_status in [10, 20] is false (order.order_status = 30)")
        )
        let live = try PlanningHarness.event(["project_name": "洗牙", "appointment_user_name": "李四"])
        guard case .send(let payload) = rules.recheck(rule: "remind-customer", entry: 0, event: live, now: now) else {
            Issue.record("expected a send")
            return
        }
        #expect(payload["params"]?["name"] == "李四")
        #expect(rules.recheck(rule: "gone", entry: 0, event: live, now: now) == .ruleGone)
        #expect(rules.recheck(rule: "remind-customer", entry: 3, event: live, now: now) == .ruleGone)
    }

    /// A webhook entry without a body sends the event; at send time the daemon passes the stored bytes instead,
    /// and asks for the payload without the event in it. A body of the entry's own stays either way.
    @Test func aWebhookPayloadHoldsTheEventUnlessTheSendHasItsBytes() throws {
        let text = """
            rules:
              - name: forward
                on: appointment.created
                notify:
                  - channel: hook
                  - channel: hook
                    body: {order: "{{ order.order_num }}"}
            """
        let rules = try PlanningHarness.rules(text, channels: ["hook": "webhook"])
        let event = try PlanningHarness.event()
        let now = PlanningHarness.time("2024-10-15 10:00:00")
        #expect(rules.plan(event, now: now).notifications[0].payload["body"] == event.envelope.json)
        guard case .send(let full) = rules.recheck(rule: "forward", entry: 0, event: event, now: now),
            case .send(let bare) = rules.recheck(rule: "forward", entry: 0, event: event, now: now, eventBody: false),
            case .send(let own) = rules.recheck(rule: "forward", entry: 1, event: event, now: now, eventBody: false)
        else {
            Issue.record("expected sends")
            return
        }
        #expect(full["body"] == event.envelope.json)
        #expect(bare["body"] == nil)
        #expect(own["body"] == ["order": "Y634089652417560576"])
    }

    /// The daemon plans without rendering (it stores no payload): the same notifications, keys and times.
    @Test func aPlanWithoutRenderingDiffersOnlyInItsPayloads() throws {
        let rules = try PlanningHarness.rules(Self.designRules, channels: Self.channels)
        let event = try PlanningHarness.event(["project_name": "洗牙"])
        let now = PlanningHarness.time("2024-10-15 10:00:00")
        let rendered = rules.plan(event, now: now)
        let bare = rules.plan(event, now: now, rendering: false)
        #expect(rendered.notifications.count == 3)
        #expect(bare.results == rendered.results)
        #expect(bare.notifications.map(\.key) == rendered.notifications.map(\.key))
        #expect(bare.notifications.map(\.dueAt) == rendered.notifications.map(\.dueAt))
        #expect(bare.notifications.map(\.decision) == rendered.notifications.map(\.decision))
        #expect(bare.notifications.allSatisfy { $0.payload == .null })
        #expect(rendered.notifications.allSatisfy { $0.payload != .null })
    }

    @Test func replanningCancelsMovesAndKeeps() throws {
        let rules = try PlanningHarness.rules(Self.designRules, channels: Self.channels)
        let now = PlanningHarness.time("2024-10-15 10:00:00")
        let first = rules.plan(try PlanningHarness.event(["project_name": "洗牙"]), now: now)
        let reminder = try #require(first.notifications.first { $0.rule == "remind-customer" })
        let pending = [
            PendingRef(jobID: "7", rule: reminder.rule, entry: 0, key: reminder.key, dueAt: reminder.dueAt)
        ]

        let same = rules.plan(try PlanningHarness.event(["project_name": "洗牙"]), now: now + 60)
        let untouched = Replanner.diff(plan: same, pending: pending)
        #expect(untouched.cancel.isEmpty)
        #expect(!untouched.insert.contains { $0.rule == "remind-customer" })

        let cancelled = rules.plan(try PlanningHarness.event(["project_name": "洗牙", "order_status": 30]), now: now)
        let cancelDiff = Replanner.diff(plan: cancelled, pending: pending)
        #expect(cancelDiff.cancel.map(\.jobID) == ["7"])
        #expect(cancelDiff.cancel.first?.reason.hasPrefix("rule remind-customer no longer matches") == true)

        let moved = rules.plan(
            try PlanningHarness.event(["project_name": "洗牙", "arrival_time": "2024-10-15 19:30:00"]), now: now)
        let moveDiff = Replanner.diff(planned: moved.notifications, pending: pending)
        #expect(moveDiff.cancel.first?.reason.hasPrefix("time moved from") == true)
        let inserted = try #require(moveDiff.insert.first { $0.rule == "remind-customer" })
        #expect(inserted.dueAt == PlanningHarness.time("2024-10-15 17:30:00"))
    }

    @Test func theDescriptionShowsVerdictsTimesAndText() throws {
        let rules = try PlanningHarness.rules(Self.designRules, channels: Self.channels)
        let plan = rules.plan(try PlanningHarness.event(), now: PlanningHarness.time("2024-10-15 18:06:00"))
        let text = rules.describe(plan)
        #expect(text.contains("✓ new-booking-to-staff: matched"))
        #expect(text.contains("✗ remind-customer: order.project_name != \"维修服务\" is false"))
        #expect(text.contains("→ follow-up#0 via mail (smtp): send at 2024-10-16 20:30:00"))
        let json = rules.describeJSON(plan)
        #expect(json["notifications"]?[0]?["decision"] == "send")
        #expect(json["rules"]?[1]?["matched"] == false)
    }
}
