import Daemon
import Foundation
import JSON
import TestKit
import Testing

#if canImport(Glibc)
    import Glibc
#endif

/// Rule texts and pushes shared by the reload suites.
enum ReloadKit {
    /// A rule that posts `{"version": version, "order": …}` to the webhook channel `hook` for every booking.
    static func hookRule(_ version: String, when: String = "order.order_status == 10") -> String {
        """
        rules:
          - name: hook
            on: appointment.created
            when: \(when)
            notify:
              - channel: hook
                body: {version: "\(version)", order: "{{ order.order_num }}"}
        """
    }

    static func hookConfig(_ sink: FakeHTTPServer, path: String = "/hook") -> String {
        "channels:\n  hook: {type: webhook, url: \"\(sink.url)\(path)\"}"
    }

    /// The reference example as a push of its own: a new event id and a new appointment number, so a rule
    /// without `at` (once per appointment) fires again.
    static func push(_ order: String) -> [UInt8] {
        let text = String(decoding: Fixture.example(id: "event-\(order)"), as: UTF8.self)
        return Array(text.replacingOccurrences(of: "Y634089652417560576", with: order).utf8)
    }

    /// The `version` of every request the sink received, in order.
    static func versions(_ sink: FakeHTTPServer) -> [String] {
        sink.requests.compactMap { try? JSONValue.parse($0.body)["version"]?.stringValue }
    }

    static func write(_ text: String, to url: URL) throws {
        try text.write(to: url, atomically: false, encoding: .utf8)
    }

    /// Polls `condition` until it holds or `seconds` pass, without blocking the test's thread: the daemon's
    /// delivery tasks share the cooperative pool with the tests.
    static func eventually(_ seconds: Double = 5, _ condition: () throws -> Bool) async rethrows -> Bool {
        let deadline = Date() + seconds
        while Date() < deadline {
            if try condition() { return true }
            try? await Task.sleep(for: .milliseconds(10))
        }
        return try condition()
    }

    /// Whether `sink` has received `count` requests within `seconds`.
    static func requests(_ sink: FakeHTTPServer, count: Int, within seconds: Double) async -> Bool {
        await eventually(seconds) { sink.requests.count >= count }
    }

    /// How many log lines contain `text`.
    static func count(_ text: String, in daemon: TestDaemon) -> Int {
        daemon.logLines.all.filter { $0.contains(text) }.count
    }
}

/// A change in the rules folder reloads the rules within a second, and a broken change is refused.
@Suite(.serialized) struct ReloadOnFileChange {
    @Test func anEditedRuleFileIsUsedForTheNextPush() async throws {
        let sink = try FakeHTTPServer()
        defer { sink.stop() }
        let daemon = try TestDaemon(
            rules: ["r.yaml": ReloadKit.hookRule("one")], extraConfig: ReloadKit.hookConfig(sink))
        defer { daemon.stop() }
        #expect(daemon.post(ReloadKit.push("A1"))?.status == 200)
        #expect(await ReloadKit.requests(sink, count: 1, within: 5))

        try ReloadKit.write(ReloadKit.hookRule("two"), to: daemon.rulesDirectory.appendingPathComponent("r.yaml"))
        #expect(await ReloadKit.eventually(10) { ReloadKit.count("rules reloaded", in: daemon) == 1 })
        #expect(daemon.post(ReloadKit.push("A2"))?.status == 200)
        #expect(await ReloadKit.requests(sink, count: 2, within: 5))
        #expect(ReloadKit.versions(sink) == ["one", "two"])
    }

    @Test func aFileSavedThroughATemporaryFileAndARenameIsSeen() async throws {
        let sink = try FakeHTTPServer()
        defer { sink.stop() }
        let daemon = try TestDaemon(
            rules: ["r.yaml": ReloadKit.hookRule("one")], extraConfig: ReloadKit.hookConfig(sink))
        defer { daemon.stop() }
        // What vim and most editors do: write a temporary file beside the target, then rename it over the target.
        let temporary = daemon.rulesDirectory.appendingPathComponent(".r.yaml.swp")
        try ReloadKit.write(ReloadKit.hookRule("renamed"), to: temporary)
        #expect(rename(temporary.path, daemon.rulesDirectory.appendingPathComponent("r.yaml").path) == 0)
        #expect(await ReloadKit.eventually(1.5) { ReloadKit.count("rules reloaded", in: daemon) == 1 })
        #expect(daemon.post(ReloadKit.push("B1"))?.status == 200)
        #expect(await ReloadKit.requests(sink, count: 1, within: 5))
        #expect(ReloadKit.versions(sink) == ["renamed"])
    }

    @Test func aBrokenFileIsRefusedWithPositionedErrorsAndTheOldRulesKeepWorking() async throws {
        let sink = try FakeHTTPServer()
        defer { sink.stop() }
        let daemon = try TestDaemon(
            rules: ["r.yaml": ReloadKit.hookRule("one")], extraConfig: ReloadKit.hookConfig(sink))
        defer { daemon.stop() }
        let file = daemon.rulesDirectory.appendingPathComponent("r.yaml")
        try ReloadKit.write(ReloadKit.hookRule("two", when: "order.order_statuss == 10"), to: file)
        #expect(await ReloadKit.eventually(1.5) { ReloadKit.count("reload refused", in: daemon) > 0 })
        let refused = daemon.logLines.all.filter { $0.contains("reload refused") }
        // The folder's path is random, and a run of its digits may look like a phone number, which the log masks:
        // the line is matched from the rules folder's name on.
        #expect(
            refused.contains {
                $0.contains("/rules/r.yaml:4:17: unknown order field 'order_statuss'; did you mean 'order_status'?")
            }, "\(refused)")
        #expect(ReloadKit.count("rules reloaded", in: daemon) == 0)

        #expect(daemon.post(ReloadKit.push("C1"))?.status == 200)
        #expect(await ReloadKit.requests(sink, count: 1, within: 5))
        #expect(ReloadKit.versions(sink) == ["one"])
    }

    @Test func aBurstOfWritesReloadsOnceWithTheLastVersion() async throws {
        let sink = try FakeHTTPServer()
        defer { sink.stop() }
        let daemon = try TestDaemon(
            rules: ["r.yaml": ReloadKit.hookRule("one")], extraConfig: ReloadKit.hookConfig(sink))
        defer { daemon.stop() }
        let file = daemon.rulesDirectory.appendingPathComponent("r.yaml")
        for version in 2...6 {
            try ReloadKit.write(ReloadKit.hookRule("v\(version)"), to: file)
            try await Task.sleep(for: .milliseconds(20))
        }
        #expect(await ReloadKit.eventually(1.5) { ReloadKit.count("rules reloaded", in: daemon) == 1 })
        // Long enough for a second, undebounced reload to show.
        try await Task.sleep(for: .milliseconds(600))
        #expect(ReloadKit.count("rules reloaded", in: daemon) == 1)
        #expect(daemon.post(ReloadKit.push("D1"))?.status == 200)
        #expect(await ReloadKit.requests(sink, count: 1, within: 5))
        #expect(ReloadKit.versions(sink) == ["v6"])
    }

    @Test func aFileThatIsNoRuleFileChangesNothing() async throws {
        let sink = try FakeHTTPServer()
        defer { sink.stop() }
        let daemon = try TestDaemon(
            rules: ["r.yaml": ReloadKit.hookRule("one")], extraConfig: ReloadKit.hookConfig(sink))
        defer { daemon.stop() }
        try ReloadKit.write("notes", to: daemon.rulesDirectory.appendingPathComponent("README.txt"))
        try await Task.sleep(for: .milliseconds(600))
        #expect(ReloadKit.count("rules reloaded", in: daemon) == 0)
        #expect(ReloadKit.count("reload refused", in: daemon) == 0)
    }

    @Test func aRemovedAndRecreatedRulesFolderIsWatchedAgain() async throws {
        let sink = try FakeHTTPServer()
        defer { sink.stop() }
        let daemon = try TestDaemon(
            rules: ["r.yaml": ReloadKit.hookRule("one")], extraConfig: ReloadKit.hookConfig(sink))
        defer { daemon.stop() }
        try FileManager.default.removeItem(at: daemon.rulesDirectory)
        #expect(await ReloadKit.eventually(1.5) { ReloadKit.count("cannot read the rules folder", in: daemon) > 0 })
        #expect(daemon.post(ReloadKit.push("E1"))?.status == 200)
        #expect(await ReloadKit.requests(sink, count: 1, within: 5))

        try FileManager.default.createDirectory(at: daemon.rulesDirectory, withIntermediateDirectories: false)
        try ReloadKit.write(ReloadKit.hookRule("two"), to: daemon.rulesDirectory.appendingPathComponent("r.yaml"))
        #expect(await ReloadKit.eventually(1.5) { ReloadKit.count("rules reloaded", in: daemon) == 1 })
        #expect(daemon.post(ReloadKit.push("E2"))?.status == 200)
        #expect(await ReloadKit.requests(sink, count: 2, within: 5))
        #expect(ReloadKit.versions(sink) == ["one", "two"])
    }

    @Test func noReloadRunsAfterStop() async throws {
        let sink = try FakeHTTPServer()
        defer { sink.stop() }
        let daemon = try TestDaemon(
            rules: ["r.yaml": ReloadKit.hookRule("one")], extraConfig: ReloadKit.hookConfig(sink))
        defer { try? FileManager.default.removeItem(at: daemon.root) }
        daemon.app.stop(deadline: Date() + 1)
        try ReloadKit.write(ReloadKit.hookRule("two"), to: daemon.rulesDirectory.appendingPathComponent("r.yaml"))
        try await Task.sleep(for: .milliseconds(600))
        #expect(daemon.app.reload(reason: "after stop").isEmpty)
        #expect(ReloadKit.count("rules reloaded", in: daemon) == 0)
        #expect(ReloadKit.count("scrm-notify stopped", in: daemon) == 1)
    }
}
