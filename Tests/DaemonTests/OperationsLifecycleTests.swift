import Foundation
import Storage
import TestKit
import Testing

#if canImport(Glibc)
    import Glibc
#endif

/// The binary's life cycle: a graceful stop that finishes sends in flight, an impatient second signal, a broken
/// config refused at start, and `--version`.
@Suite struct OperationsLifecycle {
    static let hookRules = [
        "hook.yaml": """
        rules:
          - name: to-hook
            on: appointment.created
            notify:
              - channel: hook
        """
    ]

    static func hookConfig(_ sink: FakeHTTPServer) -> String {
        "channels:\n  hook: {type: webhook, url: \"\(sink.url)/hook\", timeout: 20s}"
    }

    @Test func sigtermDuringASlowSendLetsItFinishRecordsItAndExitsZero() async throws {
        let sink = try FakeHTTPServer(response: ScriptedResponse(status: 200, body: "ok", delay: .seconds(1)))
        defer { sink.stop() }
        let daemon = try SpawnedDaemon(rules: Self.hookRules, extraConfig: Self.hookConfig(sink))
        defer { daemon.cleanUp() }
        try daemon.start()
        #expect(await daemon.waitUntilReady())
        #expect(daemon.post(Fixture.example(id: "term-1"))?.status == 200)
        #expect(await Poll.until(10) { sink.requests.count == 1 })

        daemon.signal(SIGTERM)
        try await Task.sleep(for: .milliseconds(300))
        // Pushes are no longer taken while the send finishes.
        #expect(daemon.post(Fixture.example(id: "term-2"))?.status != 200)
        #expect(await daemon.waitForExit(15) == 0)

        let store = try Store(directory: daemon.dataPath)
        defer { store.close() }
        let jobs = try store.jobs(orderKey: "Y634089652417560576", state: nil, limit: 10)
        #expect(jobs.map(\.state) == [.sent])
        #expect(try store.event(id: "term-2") == nil)
        let stopping = RecordLines.of(daemon, "stopping")
        #expect(stopping.first?["signal"] == "SIGTERM")
        #expect(RecordLines.of(daemon, "notification sent").count == 1)
    }

    @Test func aSecondSignalExitsAtOnceWithoutWaitingForTheSend() async throws {
        let sink = try FakeHTTPServer(response: ScriptedResponse(status: 200, body: "ok", delay: .seconds(8)))
        defer { sink.stop() }
        let daemon = try SpawnedDaemon(rules: Self.hookRules, extraConfig: Self.hookConfig(sink))
        defer { daemon.cleanUp() }
        try daemon.start()
        #expect(await daemon.waitUntilReady())
        #expect(daemon.post(Fixture.example(id: "twice-1"))?.status == 200)
        #expect(await Poll.until(10) { sink.requests.count == 1 })

        daemon.signal(SIGTERM)
        #expect(await Poll.until(5) { !RecordLines.of(daemon, "stopping").isEmpty })
        let second = Date()
        daemon.signal(SIGINT)
        // The send in flight takes 8 s: exiting well before it ends means the second signal did not wait.
        let status = await daemon.waitForExit(6)
        #expect(status != nil && status != 0)
        #expect(Date().timeIntervalSince(second) < 6)
        #expect(RecordLines.of(daemon, "second stop signal, exiting now").first?["signal"] == "SIGINT")
    }

    @Test func aBrokenConfigIsRefusedAtStartWithPositionedErrorsAndExitTwo() async throws {
        let daemon = try SpawnedDaemon(rules: [:], extraConfig: "log: {level: loud}\nlisten_on: 1")
        defer { daemon.cleanUp() }
        try daemon.start()
        #expect(await daemon.waitForExit(10) == 2)
        let lines = daemon.standardError.split(separator: "\n").map(String.init)
        #expect(lines.contains("\(daemon.configPath):4:14: log.level must be debug, info, warning or error"))
        #expect(lines.contains { $0.hasPrefix("\(daemon.configPath):5:1: ") && $0.contains("listen_on") })
    }

    @Test func aBrokenRuleFileIsRefusedAtStartWithItsPositionAndExitTwo() async throws {
        let broken = ["bad.yaml": "rules:\n  - name: x\n    on: appointment.created\n    notify: 3\n"]
        let daemon = try SpawnedDaemon(rules: broken)
        defer { daemon.cleanUp() }
        try daemon.start()
        #expect(await daemon.waitForExit(10) == 2)
        let positioned = daemon.standardError.split(separator: "\n").filter {
            $0.range(of: #"bad\.yaml:\d+:\d+: "#, options: .regularExpression) != nil
        }
        #expect(!positioned.isEmpty)
    }

    @Test func versionPrintsTheVersionAndExitsZero() async throws {
        let result = try SpawnedDaemon.run(["--version"])
        #expect(result.status == 0)
        #expect(result.stdout.range(of: #"^scrm-notify \d+\.\d+\.\d+\n$"#, options: .regularExpression) != nil)
    }
}
