import Foundation
import Testing

#if canImport(Glibc)
    import Glibc
#endif

/// Hostile clients against the real daemon: each attack is answered (or cut off) and a normal push right after
/// is still acknowledged.
@Suite struct HostileHTTP {
    static let rules = [
        "r.yaml": """
        rules:
          - name: remind
            on: appointment.created
            at: order.arrival_time + 1000d
            notify:
              - channel: console
                text: "{{ order.order_num }}"
        """
    ]

    /// A normal push with a fresh id is acknowledged with 200 {"code":1}.
    func pushStillWorks(_ daemon: TestDaemon) -> Bool {
        let reply = daemon.post(Fixture.example(id: "good-\(UUID().uuidString)"))
        return reply?.status == 200 && reply?.body.contains("\"code\":1") == true
    }

    func rawPost(_ daemon: TestDaemon, body: [UInt8], extraHeaders: String = "", timeout: Int = 2) -> RawHTTP.Reply? {
        let head =
            "POST /callback HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n"
            + "Content-Length: \(body.count)\r\n\(extraHeaders)\r\n"
        return RawHTTP.exchange(port: daemon.port, bytes: Array(head.utf8) + body, timeout: timeout)
    }

    @Test func aHeaderOf200KilobytesIsRefusedAndOthersAreStillServed() throws {
        let daemon = try TestDaemon(rules: Self.rules)
        defer { daemon.stop() }
        let big = "X-Big: " + String(repeating: "a", count: 200_000) + "\r\n"
        let reply = rawPost(daemon, body: Fixture.example(id: "big-header"), extraHeaders: big)
        #expect(reply == nil || reply!.status == 431 || reply!.status == 413)
        #expect(try daemon.app.jobStore.event(id: "big-header") == nil)
        #expect(pushStillWorks(daemon))
    }

    @Test func aBodyOfTwoMebibytesIsAnswered413WithCodeZero() throws {
        let daemon = try TestDaemon(rules: Self.rules)
        defer { daemon.stop() }
        let reply = rawPost(daemon, body: [UInt8](repeating: 0x20, count: 2 << 20))
        #expect(reply?.status == 413)
        #expect(reply?.body.contains("\"code\":0") == true)
        #expect(pushStillWorks(daemon))
    }

    @Test func invalidUTF8IsRefusedWithCodeZeroAndNothingIsStored() throws {
        let daemon = try TestDaemon(rules: Self.rules)
        defer { daemon.stop() }
        let garbage = rawPost(daemon, body: [UInt8](repeating: 0xFF, count: 3000))
        #expect(garbage?.status == 400)
        #expect(garbage?.body.contains("\"code\":0") == true)
        // Invalid bytes inside a string of an otherwise valid push: the customer's name.
        var body = Fixture.example(id: "bad-utf8")
        let name = Array("张杨".utf8)
        let at = try #require(body.firstRange(of: name))
        body.replaceSubrange(at, with: [0xFF, 0xFE, 0xC3, 0x28])
        let reply = rawPost(daemon, body: body)
        #expect(reply?.status == 400)
        #expect(try daemon.app.jobStore.event(id: "bad-utf8") == nil)
        #expect(pushStillWorks(daemon))
    }

    @Test func aJSONNestingBombOfDepth100000IsAnswered400() throws {
        let daemon = try TestDaemon(rules: Self.rules)
        defer { daemon.stop() }
        let arrays =
            [UInt8](repeating: UInt8(ascii: "["), count: 100_000)
            + [UInt8](repeating: UInt8(ascii: "]"), count: 100_000)
        #expect(rawPost(daemon, body: arrays)?.status == 400)
        let objects =
            Array(String(repeating: "{\"a\":", count: 100_000).utf8)
            + [UInt8](repeating: UInt8(ascii: "}"), count: 100_000)
        #expect(rawPost(daemon, body: objects)?.status == 400)
        #expect(pushStillWorks(daemon))
    }

    @Test func twoHundredIdleConnectionsDoNotStopAPush() throws {
        let daemon = try TestDaemon(rules: Self.rules)
        defer { daemon.stop() }
        var sockets: [Int32] = []
        defer { for fd in sockets { close(fd) } }
        for index in 0..<200 {
            let fd = try #require(RawHTTP.connect(port: daemon.port, timeout: nil))
            // Half of them send half a request and then nothing.
            if index % 2 == 1 { Self.write(fd, Array("POST /callback HTTP/1.1\r\nHost: x\r\n".utf8)) }
            sockets.append(fd)
        }
        // Served at once, not after the idle connections time out (30 s): the bound is loose for loaded machines.
        let started = Date()
        #expect(pushStillWorks(daemon))
        #expect(Date().timeIntervalSince(started) < 5)
    }

    @Test func aSlowClientSendingOneByteAtATimeDoesNotHoldUpOthers() throws {
        let daemon = try TestDaemon(rules: Self.rules)
        defer { daemon.stop() }
        let slow = try #require(RawHTTP.connect(port: daemon.port, timeout: nil))
        defer { close(slow) }
        let request = Array("POST /callback HTTP/1.1\r\nHost: x\r\nContent-Length: 5000\r\n\r\n".utf8)
        for byte in request.prefix(20) {
            Self.write(slow, [byte])
            let started = Date()
            #expect(pushStillWorks(daemon))
            #expect(Date().timeIntervalSince(started) < 5)
            Thread.sleep(forTimeInterval: 0.02)
        }
    }

    static func write(_ fd: Int32, _ bytes: [UInt8]) {
        _ = bytes.withUnsafeBytes { send(fd, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }
    }
}
