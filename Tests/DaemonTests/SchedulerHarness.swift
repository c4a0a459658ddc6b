import Daemon
import Foundation
import JSON
import Storage
import Telemetry
import TestKit

/// A daemon on a manual clock that can be stopped and started again on the same data folder, sending through a
/// webhook channel `hook` to a fake server, so a test can watch reminders across down-time.
final class SchedulerHarness: @unchecked Sendable {
    let root: URL
    let clock: ManualClock
    let sink: FakeHTTPServer
    let logLines = TestDaemon.LogLines()
    let configPath: String
    // Set by start()/stop(), only from the test's thread.
    private(set) var app: App?

    /// 2024-10-15 12:00:00 in Asia/Shanghai, the morning of the fixture's appointment (18:30 that day).
    static let noon = SchedulerHarness.shanghai("2024-10-15 12:00:00")

    /// Writes `rules` and a config whose channel `hook` takes `hookOptions` (YAML flow pairs), then starts.
    init(rules: String, hookOptions: String = "", sink: FakeHTTPServer? = nil) throws {
        root = URL(fileURLWithPath: NSTemporaryDirectory()).appendingPathComponent("scrm-sched-\(UUID().uuidString)")
        let rulesDir = root.appendingPathComponent("rules")
        try FileManager.default.createDirectory(at: rulesDir, withIntermediateDirectories: true)
        try rules.write(to: rulesDir.appendingPathComponent("rules.yaml"), atomically: true, encoding: .utf8)
        let sink = try sink ?? FakeHTTPServer()
        self.sink = sink
        let extra = hookOptions.isEmpty ? "" : ", " + hookOptions
        let config = """
            listen: 127.0.0.1:0
            data: \(root.appendingPathComponent("data").path)
            rules: \(rulesDir.path)
            timezone: Asia/Shanghai
            channels:
              hook: {type: webhook, url: "\(sink.url)/hook"\(extra)}
            """
        configPath = root.appendingPathComponent("scrm-notify.yaml").path
        try config.write(toFile: configPath, atomically: true, encoding: .utf8)
        clock = ManualClock(Self.noon)
        try start()
    }

    /// Starts a new App on the same data folder (a restart).
    func start() throws {
        let config = try Config.load(path: configPath, environment: [:]).get()
        let lines = logLines
        let sink = LogSink(format: .logfmt, level: .debug, write: { line in lines.append(line) })
        let app = try App(config: config, clock: clock, logSink: sink)
        try app.start()
        self.app = app
    }

    /// Stops the running App, giving sends in flight until `deadline`.
    func stop(deadline: Date = Date() + 2) {
        app?.stop(deadline: deadline)
        app = nil
    }

    /// Stops everything and removes the folder.
    func close() {
        stop()
        sink.stop()
        try? FileManager.default.removeItem(at: root)
    }

    var running: App {
        guard let app else { fatalError("the daemon is stopped") }
        return app
    }

    var store: Store { running.jobStore }

    /// Pushes `event` and waits until it is planned.
    @discardableResult
    func push(_ event: [UInt8]) -> Int? {
        let status =
            RawHTTP.request(
                port: running.port, method: "POST", path: "/callback", headers: ["Content-Type": "application/json"],
                body: event)?.status
        running.drainPlanning()
        return status
    }

    /// Sets the clock to `time` (Asia/Shanghai) and wakes the scheduler.
    func set(_ time: String) {
        clock.set(Self.shanghai(time))
        app?.poke()
    }

    /// Every job of `order`, by due time.
    func jobs(_ order: String) throws -> [Job] {
        try store.jobs(orderKey: order, state: nil, limit: 100)
    }

    /// The job ids the sink received, in arrival order (the webhook's X-Scrm-Job header).
    var sentJobIDs: [String] { sink.requests.compactMap { $0.header("X-Scrm-Job") } }

    /// Waits until the store shows no job in `sending` and none planned is due at the clock's time.
    func settle(_ seconds: Double = 5) -> Bool {
        (try? TestDaemon.eventually(seconds) {
            let now = clock.now()
            let jobs = try store.jobs(orderKey: nil, state: nil, limit: 1000)
            return !jobs.contains {
                $0.state == .sending || ($0.state == .planned && ($0.nextAttemptAt ?? $0.dueAt) <= now)
            }
        }) ?? false
    }

    /// The reference example as appointment `order`, pushed as event `id`, with the given arrival time and status.
    static func event(id: String, order: String = "Y1", arrival: String = "2024-10-15 18:30:00", status: Int = 10)
        -> [UInt8]
    {
        let text = String(decoding: Fixture.example(id: id), as: UTF8.self)
            .replacingOccurrences(of: "Y634089652417560576", with: order)
            .replacingOccurrences(
                of: "\"arrival_time\": \"2024-10-15 18:30:00\"", with: "\"arrival_time\": \"\(arrival)\""
            )
            .replacingOccurrences(of: "\"order_status\": 10", with: "\"order_status\": \(status)")
        return Array(text.utf8)
    }

    /// `text` (`yyyy-MM-dd HH:mm:ss`) read in Asia/Shanghai.
    static func shanghai(_ text: String) -> Date {
        let formatter = DateFormatter()
        formatter.locale = Locale(identifier: "en_US_POSIX")
        formatter.timeZone = TimeZone(identifier: "Asia/Shanghai")
        formatter.dateFormat = "yyyy-MM-dd HH:mm:ss"
        guard let date = formatter.date(from: text) else { fatalError("bad time \(text)") }
        return date
    }
}
