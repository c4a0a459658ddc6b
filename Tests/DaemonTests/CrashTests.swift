import Foundation
import Storage
import Testing

#if canImport(Glibc)
    import Glibc
#endif

/// The real binary, killed with SIGKILL right after it acknowledged a push, loses nothing.
@Suite(.serialized) struct CrashRecovery {
    /// The `scrm-notify` executable built beside the test bundle.
    static var binary: String? {
        let candidates = [
            Bundle.main.bundleURL.deletingLastPathComponent().appendingPathComponent("scrm-notify").path,
            Bundle.main.bundleURL.appendingPathComponent("scrm-notify").path,
            Fixture.folder.deletingLastPathComponent().deletingLastPathComponent()
                .appendingPathComponent(".build/debug/scrm-notify").path,
        ]
        return candidates.first { FileManager.default.isExecutableFile(atPath: $0) }
    }

    static func freePort() -> UInt16 {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        defer { close(fd) }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        _ = withUnsafeMutablePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { pointer in
                _ = bind(fd, pointer, length)
                return getsockname(fd, pointer, &length)
            }
        }
        return UInt16(bigEndian: address.sin_port)
    }

    func launch(_ binary: String, config: String) throws -> Process {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: binary)
        process.arguments = ["serve", "--config", config]
        process.standardOutput = FileHandle.nullDevice
        process.standardError = FileHandle.nullDevice
        try process.run()
        return process
    }

    @Test func anAcknowledgedPushAndItsJobSurviveSIGKILL() throws {
        let binary = try #require(Self.binary, "build the executable first (swift build)")
        let root = URL(fileURLWithPath: NSTemporaryDirectory()).appendingPathComponent(
            "scrm-crash-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: root) }
        let rules = root.appendingPathComponent("rules")
        try FileManager.default.createDirectory(at: rules, withIntermediateDirectories: true)
        // A reminder far in the future: the job must be planned and kept, not sent.
        try """
        rules:
          - name: remind
            on: appointment.created
            at: order.arrival_time + 1000d
            notify:
              - channel: console
                text: "reminder {{ order.order_num }}"
        """.write(to: rules.appendingPathComponent("r.yaml"), atomically: true, encoding: .utf8)
        let port = Self.freePort()
        let data = root.appendingPathComponent("data").path
        let config = root.appendingPathComponent("c.yaml").path
        try "listen: 127.0.0.1:\(port)\ndata: \(data)\nrules: \(rules.path)\n".write(
            toFile: config, atomically: true, encoding: .utf8)

        let first = try launch(binary, config: config)
        #expect(
            TestDaemon.eventually(10) { RawHTTP.request(port: port, method: "GET", path: "/readyz")?.status == 200 })
        let reply = RawHTTP.request(port: port, method: "POST", path: "/callback", body: Fixture.example(id: "crash-1"))
        #expect(reply?.status == 200)
        kill(first.processIdentifier, SIGKILL)
        first.waitUntilExit()

        let second = try launch(binary, config: config)
        defer {
            second.terminate()
            second.waitUntilExit()
        }
        #expect(
            TestDaemon.eventually(10) { RawHTTP.request(port: port, method: "GET", path: "/readyz")?.status == 200 })
        let store = try Store(directory: data)
        defer { store.close() }
        #expect(try store.event(id: "crash-1") != nil)
        #expect(
            try TestDaemon.eventually(5) {
                try store.jobs(orderKey: "Y634089652417560576", state: .planned, limit: 10).count == 1
            })
    }

    @Test func sigtermStopsCleanlyWithExitZero() throws {
        let binary = try #require(Self.binary, "build the executable first (swift build)")
        let root = URL(fileURLWithPath: NSTemporaryDirectory()).appendingPathComponent("scrm-term-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: root) }
        try FileManager.default.createDirectory(
            at: root.appendingPathComponent("rules"), withIntermediateDirectories: true)
        let port = Self.freePort()
        let config = root.appendingPathComponent("c.yaml").path
        try "listen: 127.0.0.1:\(port)\ndata: \(root.path)/data\nrules: \(root.path)/rules\n".write(
            toFile: config, atomically: true, encoding: .utf8)
        let process = try launch(binary, config: config)
        #expect(
            TestDaemon.eventually(10) { RawHTTP.request(port: port, method: "GET", path: "/healthz")?.status == 200 })
        process.terminate()
        process.waitUntilExit()
        #expect(process.terminationStatus == 0)
    }
}
