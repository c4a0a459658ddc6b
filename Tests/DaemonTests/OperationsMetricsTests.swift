import Daemon
import Foundation
import Testing

/// `GET /metrics` scraped over HTTP after real traffic, parsed as Prometheus text.
@Suite(.serialized) struct OperationsMetrics {
    /// One scrape: each sample by its name with labels exactly as exposed (`name{a="1"}`), and the TYPE of each
    /// family.
    struct Scrape {
        var samples: [String: Double] = [:]
        var types: [String: String] = [:]

        init(_ text: String) throws {
            var helped: Set<String> = []
            for line in text.split(separator: "\n").map(String.init) {
                if line.hasPrefix("# HELP ") {
                    helped.insert(String(line.dropFirst(7).prefix { $0 != " " }))
                } else if line.hasPrefix("# TYPE ") {
                    let parts = line.dropFirst(7).split(separator: " ")
                    try #require(parts.count == 2)
                    try #require(helped.contains(String(parts[0])), "TYPE without HELP: \(line)")
                    types[String(parts[0])] = String(parts[1])
                } else {
                    let space = try #require(line.lastIndex(of: " "), "not a sample: \(line)")
                    let text = String(line[line.index(after: space)...])
                    let value: Double? = text == "+Inf" ? .infinity : Double(text)
                    guard let value else { throw NotASample(line: line) }
                    samples[String(line[..<space])] = value
                }
            }
        }

        subscript(_ key: String) -> Double? { samples[key] }

        /// A line that is neither a comment nor `series value`.
        struct NotASample: Error {
            let line: String
        }
    }

    static func scrape(_ port: UInt16) throws -> Scrape {
        let reply = try #require(RawHTTP.request(port: port, method: "GET", path: "/metrics"))
        try #require(reply.status == 200)
        try #require(reply.headers["content-type"]?.hasPrefix("text/plain; version=0.0.4") == true)
        return try Scrape(reply.body)
    }

    @Test func countersAndGaugesFollowRealTrafficAndReloads() async throws {
        let daemon = try TestDaemon(rules: OperationsRules.consoleAndSkip)
        defer { daemon.stop() }
        let before = try Self.scrape(daemon.port)
        #expect(before["scrm_notify_events_received_total{result=\"accepted\"}"] == 0)
        #expect(before["scrm_notify_rules_loaded"] == 2)
        #expect(before["scrm_notify_config_last_reload_successful"] == 1)
        #expect(before.types["scrm_notify_events_received_total"] == "counter")

        #expect(daemon.post(OperationsRules.event(id: "metrics-1"))?.status == 200)
        #expect(daemon.post(OperationsRules.event(id: "metrics-1"))?.status == 200)
        #expect(daemon.post(Array("{not json".utf8))?.status == 400)
        let sent = "scrm_notify_notifications_total{channel=\"console\",result=\"sent\"}"
        #expect(
            await Poll.until(10) { (try? Self.scrape(daemon.port))?[sent] == 1 },
            "\(daemon.logLines.all.joined(separator: "\n"))")

        let after = try Self.scrape(daemon.port)
        #expect(after["scrm_notify_events_received_total{result=\"accepted\"}"] == 1)
        #expect(after["scrm_notify_events_received_total{result=\"duplicate\"}"] == 1)
        #expect(after["scrm_notify_events_received_total{result=\"malformed\"}"] == 1)
        #expect(after["scrm_notify_notifications_total{channel=\"console\",result=\"skipped\"}"] == 1)
        #expect(after["scrm_notify_send_duration_seconds_count{channel=\"console\"}"] == 1)
        #expect(after["scrm_notify_send_duration_seconds_bucket{channel=\"console\",le=\"+Inf\"}"] == 1)
        #expect(after.types["scrm_notify_send_duration_seconds"] == "histogram")
        #expect(after["scrm_notify_jobs{state=\"sent\"}"] == 1)
        #expect(after["scrm_notify_jobs{state=\"skipped\"}"] == 1)
        #expect(after["scrm_notify_jobs{state=\"planned\"}"] == 0)
        #expect(after.types["scrm_notify_jobs"] == "gauge")
        #expect((after["scrm_notify_store_size_bytes"] ?? 0) > 0)
        #expect(after["scrm_notify_build_info{version=\"\(CommandLineTool.version)\"}"] == 1)
    }

    @Test func aReloadThroughTheAdminAPIShowsItsResultAndTime() throws {
        let daemon = try TestDaemon(rules: OperationsRules.consoleAndSkip)
        defer { daemon.stop() }
        let started = Date().timeIntervalSince1970
        Thread.sleep(forTimeInterval: 0.01)
        #expect(RawHTTP.request(port: daemon.port, method: "POST", path: "/-/reload")?.status == 200)
        let good = try Self.scrape(daemon.port)
        let reloaded = LogRecord.lines(daemon.logLines.all, message: "rules reloaded")
        #expect(reloaded.count == 1)
        #expect(reloaded.first?["reason"] == "admin API" && reloaded.first?["rules"] == "2")
        #expect(good["scrm_notify_config_last_reload_successful"] == 1)
        let goodTime = try #require(good["scrm_notify_config_last_reload_timestamp_seconds"])
        #expect(goodTime >= started && goodTime <= Date().timeIntervalSince1970)

        try "rules: [".write(
            to: daemon.rulesDirectory.appendingPathComponent("broken.yaml"), atomically: true, encoding: .utf8)
        #expect(RawHTTP.request(port: daemon.port, method: "POST", path: "/-/reload")?.status == 400)
        let bad = try Self.scrape(daemon.port)
        #expect(!LogRecord.lines(daemon.logLines.all, message: "reload refused, previous rules kept").isEmpty)
        #expect(bad["scrm_notify_config_last_reload_successful"] == 0)
        #expect((bad["scrm_notify_config_last_reload_timestamp_seconds"] ?? 0) >= goodTime)
        // The refused set does not replace the running rules, so their count stays.
        #expect(bad["scrm_notify_rules_loaded"] == 2)
    }
}
