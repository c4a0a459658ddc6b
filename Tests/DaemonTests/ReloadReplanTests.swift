import Daemon
import Events
import Foundation
import JSON
import Storage
import TestKit
import Testing

/// `POST /-/reload` answers with the outcome, re-reads the config's channels, and re-plans pending reminders.
@Suite(.serialized) struct ReloadThroughAdminAPI {
    static let order = "Y634089652417560576"
    static let shop = ShopClock(timeZone: TimeZone(identifier: "Asia/Shanghai")!)

    /// Two reminders before the booking at 18:30 shop time: `remind` at `remindAt`, and `other` a day later.
    static func reminders(_ remindAt: String = "order.arrival_time - 2h", withRemind: Bool = true) -> String {
        var text = "rules:\n"
        if withRemind {
            text += """
                  - name: remind
                    on: appointment.created
                    at: \(remindAt)
                    notify:
                      - {channel: console, text: "remind {{ order.order_num }}"}

                """
        }
        return text + """
              - name: other
                on: appointment.created
                at: order.arrival_time + 1d
                notify:
                  - {channel: console, text: "other {{ order.order_num }}"}
            """
    }

    static func reload(_ daemon: TestDaemon) throws -> (status: Int, body: JSONValue) {
        let reply = try #require(RawHTTP.request(port: daemon.port, method: "POST", path: "/-/reload"))
        return (reply.status, try JSONValue.parse(reply.body))
    }

    /// A daemon on a clock stopped at 08:00 on the booking's day, with the example pushed and planned.
    static func plannedDaemon() throws -> TestDaemon {
        let start = try #require(shop.parse("2024-10-15 08:00:00"))
        let daemon = try TestDaemon(rules: ["r.yaml": reminders()], clock: ManualClock(start))
        #expect(daemon.post(Fixture.example(id: "replan-1"))?.status == 200)
        daemon.app.drainPlanning()
        #expect(try daemon.app.jobStore.jobs(orderKey: order, state: .planned, limit: 10).count == 2)
        return daemon
    }

    static func job(_ daemon: TestDaemon, rule: String, state: JobState) throws -> [Job] {
        try daemon.app.jobStore.jobs(orderKey: order, state: state, limit: 10).filter { $0.rule == rule }
    }

    @Test func aBrokenSetAnswers400WithPositionedErrorsAndAGoodOne200() async throws {
        let daemon = try TestDaemon(rules: ["r.yaml": Self.reminders()])
        defer { daemon.stop() }
        let file = daemon.rulesDirectory.appendingPathComponent("r.yaml")
        try ReloadKit.write(Self.reminders("order.arrival_tme - 2h"), to: file)
        let refused = try Self.reload(daemon)
        #expect(refused.status == 400)
        #expect(refused.body["status"] == "refused")
        let errors = refused.body["errors"]?.arrayValue?.compactMap(\.stringValue) ?? []
        #expect(errors.count == 1)
        #expect(errors.first?.hasPrefix(file.path) == true)
        #expect(
            errors.first?.hasSuffix(":4:15: unknown order field 'arrival_tme'; did you mean 'arrival_time'?") == true)

        try ReloadKit.write(Self.reminders(), to: file)
        let taken = try Self.reload(daemon)
        #expect(taken.status == 200)
        #expect(taken.body["status"] == "reloaded")
    }

    @Test func aReloadThatRemovesARuleCancelsItsPendingReminderAndSaysWhy() async throws {
        let daemon = try Self.plannedDaemon()
        defer { daemon.stop() }
        try ReloadKit.write(
            Self.reminders(withRemind: false), to: daemon.rulesDirectory.appendingPathComponent("r.yaml"))
        #expect(try Self.reload(daemon).status == 200)
        daemon.app.drainPlanning()
        let cancelled = try Self.job(daemon, rule: "remind", state: .cancelled)
        #expect(cancelled.count == 1)
        #expect(cancelled.first?.reason == "rule remind no longer exists")
        #expect(try Self.job(daemon, rule: "other", state: .planned).count == 1)
    }

    @Test func aReloadThatChangesAtMovesThePendingReminder() async throws {
        let daemon = try Self.plannedDaemon()
        defer { daemon.stop() }
        let before = try #require(try Self.job(daemon, rule: "remind", state: .planned).first)
        #expect(before.dueAt == Self.shop.parse("2024-10-15 16:30:00"))
        try ReloadKit.write(
            Self.reminders("order.arrival_time - 30m"), to: daemon.rulesDirectory.appendingPathComponent("r.yaml"))
        #expect(try Self.reload(daemon).status == 200)
        daemon.app.drainPlanning()
        let old = try Self.job(daemon, rule: "remind", state: .cancelled)
        #expect(old.map(\.id) == [before.id])
        #expect(old.first?.reason?.hasPrefix("time moved from 2024-10-15T08:30:00Z to 2024-10-15T10:00:00Z") == true)
        let moved = try Self.job(daemon, rule: "remind", state: .planned)
        #expect(moved.map(\.dueAt) == [Self.shop.parse("2024-10-15 18:00:00")])
        #expect(try Self.job(daemon, rule: "other", state: .planned).count == 1)
    }

    @Test func aReloadReadsTheConfigsChannelsAgainAndWarnsAboutRestartOnlySettings() async throws {
        let sink = try FakeHTTPServer()
        defer { sink.stop() }
        let daemon = try TestDaemon(
            rules: ["r.yaml": ReloadKit.hookRule("one")], extraConfig: ReloadKit.hookConfig(sink, path: "/old"))
        defer { daemon.stop() }
        #expect(daemon.post(ReloadKit.push("F1"))?.status == 200)
        #expect(await ReloadKit.requests(sink, count: 1, within: 5))

        let config = daemon.root.appendingPathComponent("scrm-notify.yaml")
        let text = try String(contentsOf: config, encoding: .utf8)
            .replacingOccurrences(of: "/old", with: "/new")
            .replacingOccurrences(of: "listen: 127.0.0.1:0", with: "listen: 127.0.0.1:9")
        try ReloadKit.write(text, to: config)
        #expect(try Self.reload(daemon).status == 200)
        #expect(daemon.logLines.all.contains { $0.contains("take a restart") && $0.contains("settings=listen") })
        #expect(daemon.post(ReloadKit.push("F2"))?.status == 200)
        #expect(await ReloadKit.requests(sink, count: 2, within: 5))
        #expect(sink.requests.map(\.path) == ["/old", "/new"])
    }

    @Test func aBrokenConfigIsRefusedAndTheRunningChannelsStay() async throws {
        let sink = try FakeHTTPServer()
        defer { sink.stop() }
        let daemon = try TestDaemon(
            rules: ["r.yaml": ReloadKit.hookRule("one")], extraConfig: ReloadKit.hookConfig(sink, path: "/old"))
        defer { daemon.stop() }
        let config = daemon.root.appendingPathComponent("scrm-notify.yaml")
        let text = try String(contentsOf: config, encoding: .utf8)
            .replacingOccurrences(of: "/old", with: "/new")
            .replacingOccurrences(of: "type: webhook", with: "type: webhok")
        try ReloadKit.write(text, to: config)
        let refused = try Self.reload(daemon)
        #expect(refused.status == 400)
        let errors = refused.body["errors"]?.arrayValue?.compactMap(\.stringValue) ?? []
        #expect(errors.contains { $0.hasPrefix("\(config.path):") && $0.contains("webhok") })
        #expect(daemon.post(ReloadKit.push("G1"))?.status == 200)
        #expect(await ReloadKit.requests(sink, count: 1, within: 5))
        #expect(sink.requests.map(\.path) == ["/old"])
    }
}
