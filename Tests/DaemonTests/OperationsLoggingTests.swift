import Foundation
import Telemetry
import TestKit
import Testing

@testable import Daemon

/// What the running binary logs for one push, in both formats, read back field by field.
@Suite struct OperationsLogging {
    /// Standard error may go away under the daemon (a pipe whose reader ended): the lines are lost, the daemon
    /// is not. Without SIGPIPE ignored, the first line written after the reader closed ended the process.
    @Test func aLogPipeWhoseReaderEndedDoesNotEndTheDaemon() async throws {
        let daemon = try SpawnedDaemon(rules: OperationsRules.consoleAndSkip, extraConfig: "log: {level: info}")
        defer { daemon.cleanUp() }
        let pipe = Pipe()
        try daemon.start(standardError: pipe)
        #expect(await daemon.waitUntilReady())
        try pipe.fileHandleForReading.close()
        // Each answer writes a line: a refused push at warning, an accepted one at info.
        #expect(daemon.post(Array("not json".utf8))?.status == 400)
        #expect(daemon.post(OperationsRules.event(id: "log-pipe-1"))?.status == 200)
        #expect(daemon.post(OperationsRules.event(id: "log-pipe-2"))?.status == 200)
        #expect(daemon.process?.isRunning == true)
        #expect(RawHTTP.request(port: daemon.port, method: "GET", path: "/readyz")?.status == 200)
        daemon.signal(SIGTERM)
        #expect(await daemon.waitForExit(15) == 0)
    }

    /// Pushes one event to a spawned daemon, waits for its notification, stops it, and returns it.
    func runOnePush(id: String, extraConfig: String, arguments: [String]) async throws -> SpawnedDaemon {
        let daemon = try SpawnedDaemon(rules: OperationsRules.consoleAndSkip, extraConfig: extraConfig)
        try daemon.start(arguments)
        #expect(await daemon.waitUntilReady())
        #expect(daemon.post(OperationsRules.event(id: id))?.status == 200)
        #expect(
            await Poll.until(10) {
                !RecordLines.of(daemon, "notification sent").isEmpty && daemon.standardOutput.contains("新预约")
            })
        daemon.signal(SIGTERM)
        #expect(await daemon.waitForExit(15) == 0)
        return daemon
    }

    /// The lines every push must produce, each exactly once, with its ids.
    func checkLifecycleLines(_ daemon: SpawnedDaemon, id: String) throws {
        let accepted = RecordLines.of(daemon, "event accepted")
        #expect(accepted.count == 1)
        #expect(accepted.first?["event.id"] == id)
        #expect(accepted.first?["level"] == "info")
        #expect(accepted.first?["order"] == "Y634089652417560576")

        let sent = RecordLines.of(daemon, "notification sent")
        #expect(sent.count == 1)
        let line = try #require(sent.first)
        #expect(line["rule"] == "new-booking" && line["channel"] == "console")
        #expect(line["job"]?.count == 36)
        #expect(line["event.id"] == id)

        let skipped = RecordLines.of(daemon, "notification skipped")
        #expect(skipped.count == 1)
        #expect(skipped.first?["rule"] == "arrival-reminder" && skipped.first?["event.id"] == id)
        let skipReason = skipped.first?["reason"] ?? ""
        #expect(skipReason.count > 3)

        // A planned notification has no reason, and the line says nothing rather than `reason=""`.
        let planned = RecordLines.of(daemon, "notification planned")
        #expect(planned.count == 1)
        #expect(planned.first?["reason"] == nil)
        #expect(!daemon.standardError.contains(#"reason="""#))

        // The console prints the phone number in full on standard output; the log never carries it.
        #expect(daemon.standardOutput.contains("13812345678"))
        #expect(!daemon.standardError.contains("13812345678"))
    }

    @Test func logfmtFromTheFlagOverridesJSONFromTheConfigAndLogsEachStepOnce() async throws {
        let daemon = try await runOnePush(
            id: "log-logfmt-1", extraConfig: "log: {format: json, level: error}",
            arguments: ["--log-format", "logfmt", "--log-level", "info"])
        defer { daemon.cleanUp() }
        #expect(daemon.logLines.allSatisfy { $0.hasPrefix("ts=") })
        try checkLifecycleLines(daemon, id: "log-logfmt-1")
    }

    @Test func jsonFromTheConfigGivesOneObjectPerLine() async throws {
        let daemon = try await runOnePush(id: "log-json-1", extraConfig: "log: {format: json}", arguments: [])
        defer { daemon.cleanUp() }
        #expect(!daemon.logLines.isEmpty)
        #expect(daemon.logLines.allSatisfy { $0.hasPrefix("{") && LogRecord.parse($0) != nil })
        try checkLifecycleLines(daemon, id: "log-json-1")
    }

    @Test func aRetriedThenFailedNotificationLogsEachAttemptOnceAtItsLevel() async throws {
        let sink = try FakeHTTPServer()
        defer { sink.stop() }
        sink.enqueue(ScriptedResponse(status: 503, body: "busy"), ScriptedResponse(status: 400, body: "no such hook"))
        let clock = ManualClock(Date())
        let daemon = try TestDaemon(
            rules: OperationsLifecycle.hookRules, extraConfig: OperationsLifecycle.hookConfig(sink), clock: clock)
        defer { daemon.stop() }
        #expect(daemon.post(OperationsRules.event(id: "retry-1"))?.status == 200)
        let retried = "notification send failed, will retry"
        #expect(await Poll.until(10) { !LogRecord.lines(daemon.logLines.all, message: retried).isEmpty })
        clock.advance(by: 3_600)
        daemon.app.poke()
        #expect(await Poll.until(10) { !LogRecord.lines(daemon.logLines.all, message: "notification failed").isEmpty })

        let retry = LogRecord.lines(daemon.logLines.all, message: retried)
        let failed = LogRecord.lines(daemon.logLines.all, message: "notification failed")
        #expect(retry.count == 1 && failed.count == 1)
        for (line, attempt, level) in [(retry.first, "1", "warning"), (failed.first, "2", "error")] {
            #expect(line?["event.id"] == "retry-1" && line?["rule"] == "to-hook" && line?["channel"] == "hook")
            #expect(line?["attempt"] == attempt && line?["level"] == level)
            #expect(line?["reason"]?.contains(attempt == "1" ? "503" : "400") == true)
        }
        #expect(retry.first?["job"] == failed.first?["job"])
        #expect(retry.first?["next"] != nil)
    }

    @Test func theConfiguredLevelAppliesUnlessAFlagOverridesIt() throws {
        let config = try Config.parse("log: {level: warning, format: json}", file: "c.yaml", environment: [:]).get()
        let fromConfig = try #require(
            ServeCommand.makeSink(config: config, arguments: try Arguments([String](), valued: [], flags: [])))
        #expect(fromConfig.level == .warning && fromConfig.format == .json)
        let flags = try Arguments(
            ["--log-level", "debug", "--log-format", "logfmt"], valued: ["log-level", "log-format"], flags: [])
        let fromFlags = try #require(ServeCommand.makeSink(config: config, arguments: flags))
        #expect(fromFlags.level == .debug && fromFlags.format == .logfmt)
    }
}

/// Parsed log lines of a spawned daemon.
enum RecordLines {
    static func of(_ daemon: SpawnedDaemon, _ message: String) -> [[String: String]] {
        LogRecord.lines(daemon.logLines, message: message)
    }
}
