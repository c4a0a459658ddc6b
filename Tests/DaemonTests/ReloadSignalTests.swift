import Foundation
import TestKit
import Testing

#if canImport(Glibc)
    import Glibc
#endif

/// SIGHUP makes the real binary read its config and rules again.
@Suite(.serialized) struct ReloadOnSIGHUP {
    /// Text a child process writes, collected as it comes.
    final class Output: @unchecked Sendable {
        // `lock` guards `text`.
        private let lock = NSLock()
        private var text = ""
        func append(_ data: Data) { lock.withLock { text += String(decoding: data, as: UTF8.self) } }
        var all: String { lock.withLock { text } }
    }

    @Test func sighupReadsTheConfigsChannelsAndTheRulesAgain() async throws {
        let binary = try #require(CrashRecovery.binary, "build the executable first (swift build)")
        let sink = try FakeHTTPServer()
        defer { sink.stop() }
        let root = URL(fileURLWithPath: NSTemporaryDirectory()).appendingPathComponent("scrm-hup-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: root) }
        let rules = root.appendingPathComponent("rules")
        try FileManager.default.createDirectory(at: rules, withIntermediateDirectories: true)
        try ReloadKit.write(ReloadKit.hookRule("one"), to: rules.appendingPathComponent("r.yaml"))
        let port = CrashRecovery.freePort()
        let config = root.appendingPathComponent("c.yaml")
        let head = "listen: 127.0.0.1:\(port)\ndata: \(root.path)/data\nrules: \(rules.path)\n"
        try ReloadKit.write(head + ReloadKit.hookConfig(sink, path: "/old"), to: config)

        let process = Process()
        process.executableURL = URL(fileURLWithPath: binary)
        process.arguments = ["serve", "--config", config.path]
        process.standardOutput = FileHandle.nullDevice
        let pipe = Pipe()
        let output = Output()
        pipe.fileHandleForReading.readabilityHandler = { output.append($0.availableData) }
        process.standardError = pipe
        try process.run()
        defer {
            process.terminate()
            process.waitUntilExit()
            pipe.fileHandleForReading.readabilityHandler = nil
        }
        #expect(
            await ReloadKit.eventually(10) {
                RawHTTP.request(port: port, method: "GET", path: "/readyz")?.status == 200
            })
        #expect(
            RawHTTP.request(port: port, method: "POST", path: "/callback", body: ReloadKit.push("H1"))?.status == 200)
        #expect(await ReloadKit.requests(sink, count: 1, within: 10))

        // The config is outside the watched rules folder: only the signal can bring the new channel URL in.
        try ReloadKit.write(head + ReloadKit.hookConfig(sink, path: "/new"), to: config)
        kill(process.processIdentifier, SIGHUP)
        #expect(
            await ReloadKit.eventually(5) { output.all.contains("rules reloaded") && output.all.contains("SIGHUP") })
        #expect(
            RawHTTP.request(port: port, method: "POST", path: "/callback", body: ReloadKit.push("H2"))?.status == 200)
        #expect(await ReloadKit.requests(sink, count: 2, within: 10))
        #expect(sink.requests.map(\.path) == ["/old", "/new"])
        #expect(process.isRunning)
    }
}
