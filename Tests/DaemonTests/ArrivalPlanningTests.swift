import Events
import Foundation
import Storage
import Testing

@testable import Daemon

/// A push is planned as it arrives: its answer comes after its event and its jobs are stored together.
@Suite(.serialized) struct PlanningOnArrival {
    static let order = "Y634089652417560576"
    static let shop = ShopClock(timeZone: TimeZone(identifier: "Asia/Shanghai")!)

    static let rules = """
        rules:
          - name: remind
            on: appointment.created
            when: order.order_status in [10, 20]
            at: order.arrival_time - 2h
            notify:
              - {channel: console, text: "remind {{ order.order_num }}"}
        """

    /// The reference example under `id`, with its order status replaced by `status`.
    static func example(id: String, status: Int = 10) -> [UInt8] {
        let text = String(decoding: Fixture.example(id: id), as: UTF8.self)
        return Array(text.replacingOccurrences(of: "\"order_status\": 10", with: "\"order_status\": \(status)").utf8)
    }

    /// A rule that sends every booking at once.
    static let welcome = """
        rules:
          - name: welcome
            on: appointment.created
            notify:
              - {channel: console, text: "booked {{ order.order_num }}"}
        """

    /// The time the daemons of these tests start at.
    static let start = shop.parse("2024-10-15 08:00:00")!

    static func daemon(rules: String = rules) throws -> TestDaemon {
        try TestDaemon(rules: ["r.yaml": rules], clock: ManualClock(start))
    }

    @Test func anAnsweredPushHasItsReminderStoredWithoutWaitingForThePlanner() throws {
        let daemon = try Self.daemon()
        defer { daemon.stop() }

        #expect(daemon.post(Self.example(id: "arrive-1"))?.status == 200)

        // No drainPlanning(): the answer itself vouches for the plan.
        let planned = try daemon.app.jobStore.jobs(orderKey: Self.order, state: .planned, limit: 10)
        #expect(planned.map(\.dueAt) == [Self.shop.parse("2024-10-15 16:30:00")])
        #expect(planned.first?.eventID == "arrive-1")
        #expect(try daemon.app.jobStore.unplannedEvents(limit: 10).isEmpty)
        let lines = daemon.logLines.all
        let accepted = try #require(lines.firstIndex { $0.contains("event accepted") && $0.contains("arrive-1") })
        let plannedLine = try #require(lines.firstIndex { $0.contains("notification planned") })
        #expect(accepted < plannedLine)
    }

    /// A notification due at once is claimed in the push's own commit and sent from there: the push and the
    /// result of its send are the only commits, with no claim of the scheduler's between them.
    @Test func aNotificationDueAtOnceIsClaimedWithItsPushAndSentWithoutAClaimOfItsOwn() throws {
        let daemon = try Self.daemon(rules: Self.welcome)
        defer { daemon.stop() }
        let store = daemon.app.jobStore
        let before = store.commitCount

        #expect(daemon.post(Self.example(id: "arrive-1"))?.status == 200)
        #expect(try store.jobs(orderKey: Self.order, state: .planned, limit: 10).isEmpty)
        #expect(
            try TestDaemon.eventually { try store.jobs(orderKey: Self.order, state: .sent, limit: 10).count == 1 })
        let sent = try #require(try store.jobs(orderKey: Self.order, state: .sent, limit: 10).first)
        #expect(try store.attempts(jobID: sent.id).map(\.outcome) == ["sent"])
        #expect(store.commitCount - before == 2)
    }

    /// The store may write a push's batch again, with a savepoint a work, after another work of it failed; the
    /// plan is then finished a second time, and takes the places among the sends in flight only once.
    @Test func aPlanFinishedAgainHoldsThePlacesOfOne() throws {
        let daemon = try Self.daemon(rules: Self.welcome)
        defer { daemon.stop() }
        let planner = try #require(daemon.app.planner)
        let scheduler = try #require(daemon.app.scheduler)
        let raw = Self.example(id: "again-1")
        let event = try Event.decode(Envelope.decode(raw), clock: Self.shop)
        let plan = planner.planOnArrival(event, raw: raw, at: Self.start)
        #expect(plan.finish(pending: [])?.claim?.limit == 1)
        #expect(plan.finish(pending: [])?.claim?.limit == 1)
        #expect(scheduler.reserve(scheduler.maxInFlight) == scheduler.maxInFlight - 1)
        scheduler.dispatchClaimed([], reserved: scheduler.maxInFlight - 1)
        plan.settle(stored: false)
        #expect(scheduler.reserve(scheduler.maxInFlight) == scheduler.maxInFlight)
        scheduler.dispatchClaimed([], reserved: scheduler.maxInFlight)
    }

    @Test func aCancellationPushedLaterCancelsTheReminderByItsAnswer() throws {
        let daemon = try Self.daemon()
        defer { daemon.stop() }
        #expect(daemon.post(Self.example(id: "arrive-1"))?.status == 200)

        #expect(daemon.post(Self.example(id: "arrive-2", status: 30))?.status == 200)

        #expect(try daemon.app.jobStore.jobs(orderKey: Self.order, state: .planned, limit: 10).isEmpty)
        let cancelled = try daemon.app.jobStore.jobs(orderKey: Self.order, state: .cancelled, limit: 10)
        #expect(cancelled.count == 1)
        #expect(cancelled.first?.eventID == "arrive-1")
    }

    @Test func aPlanMadeBeforeAReloadIsLeftToThePlannerWithTheNewRules() throws {
        let daemon = try Self.daemon()
        defer { daemon.stop() }
        let planner = try #require(daemon.app.planner)
        let raw = Self.example(id: "arrive-1")
        let event = try Event.decode(Envelope.decode(raw), clock: Self.shop)
        let plan = planner.planOnArrival(event, raw: raw, at: Date())
        #expect(plan.finish(pending: []) != nil, "with the rules it was made with, the plan stands")

        try ReloadKit.write(
            Self.rules.replacingOccurrences(of: "- 2h", with: "- 30m"),
            to: daemon.rulesDirectory.appendingPathComponent("r.yaml"))
        #expect(daemon.app.reload(reason: "test").isEmpty)

        #expect(plan.finish(pending: []) == nil, "a plan of the old rules must not be stored after a reload")
        #expect(daemon.post(Self.example(id: "arrive-2"))?.status == 200)
        // The re-plan may still be under way, and a push arriving meanwhile is planned by the planner's queue.
        daemon.app.drainPlanning()
        let planned = try daemon.app.jobStore.jobs(orderKey: Self.order, state: .planned, limit: 10)
        #expect(planned.map(\.dueAt) == [Self.shop.parse("2024-10-15 18:00:00")])
    }

    @Test func aPushThatArrivesBehindUnplannedEventsIsPlannedAfterThem() throws {
        let daemon = try Self.daemon()
        defer { daemon.stop() }
        // An event the planner has not planned yet, as after a crash: the next push must wait its turn.
        let raw = Self.example(id: "stored-before")
        let now = try #require(daemon.clock).now()
        let stored = InboxEvent(
            id: "stored-before", receivedAt: now, kind: "appointment.created", orderKey: Self.order, raw: raw)
        #expect(try daemon.app.jobStore.accept(stored) == .stored)

        #expect(daemon.post(Self.example(id: "arrive-1", status: 30))?.status == 200)
        daemon.app.drainPlanning()

        // Planned in arrival order, the cancellation comes last: the reminder of the first is cancelled.
        #expect(try daemon.app.jobStore.jobs(orderKey: Self.order, state: .planned, limit: 10).isEmpty)
        #expect(try daemon.app.jobStore.jobs(orderKey: Self.order, state: .cancelled, limit: 10).count == 1)
        #expect(try daemon.app.jobStore.unplannedEvents(limit: 10).isEmpty)
    }
}
