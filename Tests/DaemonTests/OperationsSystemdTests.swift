import Foundation
import Testing

@testable import Storage

#if canImport(Glibc)
    import Glibc
#endif

/// `Type=notify` readiness: the binary reports to the datagram socket named by `NOTIFY_SOCKET`.
@Suite struct OperationsSystemd {
    /// A unix datagram socket bound in a temporary folder, standing in for systemd.
    final class NotifySocket {
        let path: String
        let fd: Int32

        init() throws {
            path = NSTemporaryDirectory() + "scrm-notify-\(UUID().uuidString.prefix(8)).sock"
            fd = socket(AF_UNIX, Int32(SOCK_DGRAM.rawValue), 0)
            try #require(fd >= 0)
            var address = sockaddr_un()
            address.sun_family = sa_family_t(AF_UNIX)
            let bytes = Array(path.utf8)
            try #require(bytes.count < MemoryLayout.size(ofValue: address.sun_path))
            withUnsafeMutableBytes(of: &address.sun_path) { raw in
                for (index, byte) in bytes.enumerated() { raw[index] = byte }
            }
            let bound = withUnsafePointer(to: &address) {
                $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                    bind(fd, $0, socklen_t(MemoryLayout<sockaddr_un>.size))
                }
            }
            try #require(bound == 0)
        }

        /// The next datagram's text, or nil when none came within `seconds`.
        func receive(within seconds: Double) async -> String? {
            var buffer = [UInt8](repeating: 0, count: 4096)
            var count = -1
            _ = await Poll.until(seconds) {
                count = recv(fd, &buffer, buffer.count, Int32(MSG_DONTWAIT))
                return count > 0
            }
            return count > 0 ? String(decoding: buffer[0..<count], as: UTF8.self) : nil
        }

        deinit {
            close(fd)
            unlink(path)
        }
    }

    @Test func readinessIsReportedOnceServingAndStoppingOnSIGTERM() async throws {
        let notify = try NotifySocket()
        let daemon = try SpawnedDaemon(rules: OperationsRules.consoleAndSkip)
        defer { daemon.cleanUp() }
        try daemon.start(environment: ["NOTIFY_SOCKET": notify.path])
        let ready = try #require(await notify.receive(within: 15))
        #expect(ready.split(separator: "\n").contains("READY=1"))
        #expect(ready.contains("STATUS=listening on 127.0.0.1:\(daemon.port)"))
        // Ready means ready: the HTTP server answers at once.
        #expect(RawHTTP.request(port: daemon.port, method: "GET", path: "/readyz")?.status == 200)

        daemon.signal(SIGHUP)
        let reloading = try #require(await notify.receive(within: 10))
        #expect(reloading.hasPrefix("RELOADING=1\nMONOTONIC_USEC="))
        #expect(await notify.receive(within: 10) == "READY=1")
        #expect(RecordLines.of(daemon, "rules reloaded").first?["reason"] == "SIGHUP")

        daemon.signal(SIGTERM)
        #expect(await notify.receive(within: 10) == "STOPPING=1")
        #expect(await daemon.waitForExit(15) == 0)
    }

    /// A store made by an earlier version is migrated before the daemon is ready, and a rebuild can outlast
    /// systemd's start timeout: the daemon asks for more time first.
    @Test func upgradingTheStoreAsksForMoreTimeBeforeReadiness() async throws {
        let notify = try NotifySocket()
        let daemon = try SpawnedDaemon(rules: OperationsRules.consoleAndSkip)
        defer { daemon.cleanUp() }
        try FileManager.default.createDirectory(atPath: daemon.dataPath, withIntermediateDirectories: true)
        do {
            let old = try Connection(path: daemon.dataPath + "/" + Store.fileName, create: true)
            defer { old.close() }
            try old.execute(Schema.migrations[0..<4].joined(), operation: "test")
            try old.execute("PRAGMA user_version = 4", operation: "test")
        }
        try daemon.start(environment: ["NOTIFY_SOCKET": notify.path])

        let upgrading = try #require(await notify.receive(within: 15))
        #expect(upgrading.split(separator: "\n").contains("EXTEND_TIMEOUT_USEC=3600000000"))
        #expect(upgrading.contains("STATUS=upgrading the store to schema \(Store.latestSchemaVersion)"))
        let ready = try #require(await notify.receive(within: 15))
        #expect(ready.split(separator: "\n").contains("READY=1"))
        #expect(RecordLines.of(daemon, "upgrading the store").first?["from"] == "4")
        #expect(RecordLines.of(daemon, "store upgraded").count == 1)

        daemon.signal(SIGTERM)
        #expect(await notify.receive(within: 10) == "STOPPING=1")
        #expect(await daemon.waitForExit(15) == 0)
    }
}
