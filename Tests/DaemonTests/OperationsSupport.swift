import Foundation
import Testing

#if canImport(Glibc)
    import Glibc
#endif

/// The built `scrm-notify` binary run in a temporary folder of its own, with its standard output and error kept
/// in files so that a test reads exactly what an operator would see.
final class SpawnedDaemon: @unchecked Sendable {
    let root: URL
    let port: UInt16
    let configPath: String
    private(set) var process: Process?

    /// Writes `rules` (file name → YAML) and a config listening on a free port with `extraConfig` appended.
    init(rules: [String: String], extraConfig: String = "") throws {
        root = URL(fileURLWithPath: NSTemporaryDirectory()).appendingPathComponent("scrm-ops-\(UUID().uuidString)")
        let rulesFolder = root.appendingPathComponent("rules")
        try FileManager.default.createDirectory(at: rulesFolder, withIntermediateDirectories: true)
        for (name, text) in rules {
            try text.write(to: rulesFolder.appendingPathComponent(name), atomically: true, encoding: .utf8)
        }
        port = CrashRecovery.freePort()
        configPath = root.appendingPathComponent("scrm-notify.yaml").path
        let config = "listen: 127.0.0.1:\(port)\ndata: \(dataPath)\nrules: \(rulesFolder.path)\n\(extraConfig)\n"
        try config.write(toFile: configPath, atomically: true, encoding: .utf8)
    }

    var dataPath: String { root.appendingPathComponent("data").path }
    var stdoutPath: String { root.appendingPathComponent("stdout.txt").path }
    var stderrPath: String { root.appendingPathComponent("stderr.txt").path }

    /// Starts `scrm-notify serve --config … extraArguments` with `environment` added to this process's.
    /// `standardError`, when given, replaces the file (a pipe, say).
    func start(
        _ extraArguments: [String] = [], environment: [String: String] = [:], standardError: Pipe? = nil
    ) throws {
        let binary = try #require(CrashRecovery.binary, "build the executable first (swift build)")
        try #require(FileManager.default.createFile(atPath: stdoutPath, contents: nil))
        try #require(FileManager.default.createFile(atPath: stderrPath, contents: nil))
        let process = Process()
        process.executableURL = URL(fileURLWithPath: binary)
        process.arguments = ["serve", "--config", configPath] + extraArguments
        process.environment = ProcessInfo.processInfo.environment.merging(environment) { _, new in new }
        process.standardOutput = FileHandle(forWritingAtPath: stdoutPath)
        process.standardError = standardError ?? FileHandle(forWritingAtPath: stderrPath)
        try process.run()
        self.process = process
    }

    /// Waits until `/readyz` answers 200.
    func waitUntilReady(_ seconds: Double = 15) async -> Bool {
        await Poll.until(seconds) { RawHTTP.request(port: port, method: "GET", path: "/readyz")?.status == 200 }
    }

    func post(_ body: [UInt8]) -> RawHTTP.Reply? {
        RawHTTP.request(
            port: port, method: "POST", path: "/callback", headers: ["Content-Type": "application/json"], body: body)
    }

    func signal(_ number: Int32) {
        if let process { kill(process.processIdentifier, number) }
    }

    /// Waits for the process to end; nil when it still runs after `seconds`.
    func waitForExit(_ seconds: Double) async -> Int32? {
        guard let process else { return nil }
        guard await Poll.until(seconds, { !process.isRunning }) else { return nil }
        process.waitUntilExit()
        return process.terminationStatus
    }

    var standardOutput: String { (try? String(contentsOfFile: stdoutPath, encoding: .utf8)) ?? "" }
    var standardError: String { (try? String(contentsOfFile: stderrPath, encoding: .utf8)) ?? "" }
    var logLines: [String] { standardError.split(separator: "\n").map(String.init) }

    /// Kills the process if it still runs and removes the folder.
    func cleanUp() {
        if let process, process.isRunning {
            kill(process.processIdentifier, SIGKILL)
            process.waitUntilExit()
        }
        try? FileManager.default.removeItem(at: root)
    }

    /// Runs the binary with `arguments` to its end and returns its exit code and output.
    static func run(_ arguments: [String]) throws -> (status: Int32, stdout: String, stderr: String) {
        let binary = try #require(CrashRecovery.binary, "build the executable first (swift build)")
        let process = Process()
        process.executableURL = URL(fileURLWithPath: binary)
        process.arguments = arguments
        let out = Pipe()
        let err = Pipe()
        process.standardOutput = out
        process.standardError = err
        try process.run()
        // Read before waiting, so a full pipe cannot block the child.
        let stdout = out.fileHandleForReading.readDataToEndOfFile()
        let stderr = err.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return (
            process.terminationStatus, String(decoding: stdout, as: UTF8.self), String(decoding: stderr, as: UTF8.self)
        )
    }
}

/// Waiting for a condition without holding a thread of the shared concurrency pool, which the daemons under test
/// need for their own sends (two cores give it two threads).
enum Poll {
    /// Checks `condition` every 10 ms until it holds or `seconds` pass.
    static func until(_ seconds: Double = 10, _ condition: () -> Bool) async -> Bool {
        let deadline = Date() + seconds
        while Date() < deadline {
            if condition() { return true }
            try? await Task.sleep(for: .milliseconds(10))
        }
        return condition()
    }
}

/// Reads one log line, logfmt or JSON, into its fields.
enum LogRecord {
    static func parse(_ line: String) -> [String: String]? {
        if line.hasPrefix("{") {
            return (try? JSONSerialization.jsonObject(with: Data(line.utf8))) as? [String: String]
        }
        var fields: [String: String] = [:]
        var scalars = Array(line.unicodeScalars)[...]
        while !scalars.isEmpty {
            while scalars.first == " " { scalars.removeFirst() }
            var key = ""
            while let next = scalars.first, next != "=" { key.unicodeScalars.append(scalars.removeFirst()) }
            guard !scalars.isEmpty else { return nil }
            scalars.removeFirst()
            var value = ""
            if scalars.first == "\"" {
                scalars.removeFirst()
                while let next = scalars.popFirst(), next != "\"" {
                    guard next == "\\" else {
                        value.unicodeScalars.append(next)
                        continue
                    }
                    guard let escaped = scalars.popFirst() else { return nil }
                    switch escaped {
                    case "n": value += "\n"
                    case "r": value += "\r"
                    case "t": value += "\t"
                    case "u":
                        let hex = String(String.UnicodeScalarView(scalars.prefix(4)))
                        scalars.removeFirst(min(4, scalars.count))
                        guard let code = UInt32(hex, radix: 16), let scalar = Unicode.Scalar(code) else { return nil }
                        value.unicodeScalars.append(scalar)
                    default: value.unicodeScalars.append(escaped)
                    }
                }
            } else {
                while let next = scalars.first, next != " " { value.unicodeScalars.append(scalars.removeFirst()) }
            }
            fields[key] = value
        }
        return fields
    }

    /// The parsed lines whose message is `message`.
    static func lines(_ lines: [String], message: String) -> [[String: String]] {
        lines.compactMap(parse).filter { $0["msg"] == message }
    }
}

/// The shipped rules' shape: one notification now on the console, one reminder whose time has passed and is
/// skipped (the example's appointment is in 2024).
enum OperationsRules {
    static let consoleAndSkip = [
        "ops.yaml": """
        rules:
          - name: new-booking
            on: appointment.created
            notify:
              - channel: console
                text: "新预约 {{ order.order_num }} {{ order.appointment_user_phone }}"
          - name: arrival-reminder
            on: appointment.created
            at: order.arrival_time - 2h
            late: skip
            notify:
              - channel: console
                text: "两小时后到店 {{ order.order_num }}"
        """
    ]

    /// The reference example with a new id and a real-looking mobile number instead of the platform's mask.
    static func event(id: String, phone: String = "13812345678") -> [UInt8] {
        let text = String(decoding: Fixture.example(id: id), as: UTF8.self)
        return Array(text.replacingOccurrences(of: "_hidden_5bc2c26b_", with: phone).utf8)
    }
}
