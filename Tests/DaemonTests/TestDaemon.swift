import Daemon
import Foundation
import Telemetry

/// A daemon on a loopback port with its own temporary data and rules folders, for one test.
final class TestDaemon: @unchecked Sendable {
    let root: URL
    let app: App
    let clock: ManualClock?
    let logLines: LogLines

    /// Lines the daemon logged, kept for assertions.
    final class LogLines: @unchecked Sendable {
        // `lock` guards `lines`.
        private let lock = NSLock()
        private var lines: [String] = []
        func append(_ line: String) { lock.withLock { lines.append(line) } }
        var all: [String] { lock.withLock { lines } }
    }

    /// Writes `rules` (file name → YAML) and a config with `extraConfig` appended, then starts the daemon.
    init(rules: [String: String], extraConfig: String = "", clock: ManualClock? = nil) throws {
        root = URL(fileURLWithPath: NSTemporaryDirectory()).appendingPathComponent("scrm-test-\(UUID().uuidString)")
        let rulesDir = root.appendingPathComponent("rules")
        try FileManager.default.createDirectory(at: rulesDir, withIntermediateDirectories: true)
        for (name, text) in rules {
            try text.write(to: rulesDir.appendingPathComponent(name), atomically: true, encoding: .utf8)
        }
        let configText = """
            listen: 127.0.0.1:0
            data: \(root.appendingPathComponent("data").path)
            rules: \(rulesDir.path)
            \(extraConfig)
            """
        let configPath = root.appendingPathComponent("scrm-notify.yaml").path
        try configText.write(toFile: configPath, atomically: true, encoding: .utf8)
        let config = try Config.load(path: configPath, environment: ["WEBHOOK_SECRET": "s3cr3t-value"]).get()
        let lines = LogLines()
        logLines = lines
        self.clock = clock
        let sink = LogSink(format: .logfmt, level: .debug, write: { line in lines.append(line) })
        app = try App(config: config, clock: clock ?? SystemClock(), logSink: sink)
        try app.start()
    }

    var port: UInt16 { app.port }
    var rulesDirectory: URL { root.appendingPathComponent("rules") }

    func post(_ body: [UInt8], path: String = "/callback") -> RawHTTP.Reply? {
        RawHTTP.request(
            port: port, method: "POST", path: path, headers: ["Content-Type": "application/json"], body: body)
    }

    func stop() {
        app.stop(deadline: Date() + 2)
        try? FileManager.default.removeItem(at: root)
    }

    /// Polls `condition` until it holds or `seconds` pass.
    static func eventually(_ seconds: Double = 5, _ condition: () throws -> Bool) rethrows -> Bool {
        let deadline = Date() + seconds
        while Date() < deadline {
            if try condition() { return true }
            Thread.sleep(forTimeInterval: 0.01)
        }
        return try condition()
    }
}

/// Fixture files of the daemon tests.
enum Fixture {
    static let folder = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("Fixtures")

    static func bytes(_ path: String) -> [UInt8] {
        Array(FileManager.default.contents(atPath: folder.appendingPathComponent(path).path) ?? Data())
    }

    /// The reference's plaintext example with its id replaced.
    static func example(id: String) -> [UInt8] {
        let text = String(decoding: bytes("Events/plain-example.json"), as: UTF8.self)
        return Array(text.replacingOccurrences(of: "995c220f-289b-4f69-a7c6-933db8b0dce3", with: id).utf8)
    }
}
