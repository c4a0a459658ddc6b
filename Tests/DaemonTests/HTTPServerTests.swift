import Foundation
import Testing

@testable import Daemon

@Suite struct HTTPServerBehaviour {
    func startEcho(limits: HTTPServer.Limits = .init()) throws -> HTTPServer {
        let server = HTTPServer(limits: limits) { request in
            .text(200, "\(request.method) \(request.path) q=\(request.query["a"] ?? "") \(request.body.count)")
        }
        try server.start(host: "127.0.0.1", port: 0)
        return server
    }

    @Test func answersRequestsWithTheirBodyAndQuery() throws {
        let server = try startEcho()
        defer { server.stop() }
        #expect(server.port > 0)
        let reply = RawHTTP.request(port: server.port, method: "POST", path: "/x?a=1%2B2", body: Array("hello".utf8))
        #expect(reply?.status == 200)
        #expect(reply?.body == "POST /x q=1+2 5")
    }

    /// The room taken from Content-Length at once is capped; a larger body within the limit still arrives whole.
    @Test func takesABodyLargerThanTheRoomReservedAtOnce() throws {
        let server = try startEcho()
        defer { server.stop() }
        let body = (0..<300_000).map { UInt8(truncatingIfNeeded: $0 % 251) }
        let reply = RawHTTP.request(port: server.port, method: "POST", path: "/big", body: body)
        #expect(reply?.status == 200)
        #expect(reply?.body == "POST /big q= 300000")
    }

    @Test func refusesABodyOverTheLimitWith413() throws {
        var limits = HTTPServer.Limits()
        limits.maxBodyBytes = 1000
        let server = try startEcho(limits: limits)
        defer { server.stop() }
        let reply = RawHTTP.request(
            port: server.port, method: "POST", path: "/", body: [UInt8](repeating: 65, count: 5000))
        #expect(reply?.status == 413)
        let chunked =
            "POST / HTTP/1.1\r\nHost: x\r\nConnection: close\r\nTransfer-Encoding: chunked\r\n\r\n"
            + "7d0\r\n" + String(repeating: "b", count: 2000) + "\r\n0\r\n\r\n"
        #expect(RawHTTP.exchange(port: server.port, bytes: Array(chunked.utf8))?.status == 413)
        #expect(RawHTTP.request(port: server.port, method: "GET", path: "/ok")?.status == 200)
    }

    @Test func survivesGarbageAndKeepsAnsweringOthers() throws {
        let server = try startEcho()
        defer { server.stop() }
        let garbage: [UInt8] = Array("\u{00}\u{ff}GARBAGE \r\n\r\n".utf8) + [0xFF, 0xFE, 0x00]
        let reply = RawHTTP.exchange(port: server.port, bytes: garbage, timeout: 2)
        #expect(reply == nil || (reply!.status >= 400))
        let huge = "GET / HTTP/1.1\r\nHost: x\r\nX-Big: " + String(repeating: "a", count: 200_000) + "\r\n\r\n"
        let bigReply = RawHTTP.exchange(port: server.port, bytes: Array(huge.utf8), timeout: 2)
        #expect(bigReply == nil || bigReply!.status >= 400)
        #expect(RawHTTP.request(port: server.port, method: "GET", path: "/still")?.status == 200)
    }

    @Test func closesIdleConnections() throws {
        var limits = HTTPServer.Limits()
        limits.idleTimeoutSeconds = 1
        let server = try startEcho(limits: limits)
        defer { server.stop() }
        let started = Date()
        // Half a request, then silence: the server must close the connection by itself.
        let reply = RawHTTP.exchange(port: server.port, bytes: Array("GET / HTTP/1.1\r\nHost: x\r\n".utf8), timeout: 10)
        #expect(reply == nil)
        #expect(Date().timeIntervalSince(started) < 5)
    }

    /// Answers given later, from another thread, and many more parked requests than threads: with a blocking
    /// handler, two threads could not hold sixteen requests at once.
    @Test func parksRequestsWithoutAThreadEachAndAnswersThemFromAnotherThread() throws {
        let waiting = Waiting()
        var limits = HTTPServer.Limits()
        limits.threads = 2
        let server = HTTPServer(limits: limits) { request in
            if request.path == "/now" { return .now(.text(200, "now")) }
            return .later { answer in waiting.park(path: request.path, answer) }
        }
        try server.start(host: "127.0.0.1", port: 0)
        defer { server.stop() }

        let replies = Collected<(Int, RawHTTP.Reply?)>()
        let group = DispatchGroup()
        for index in 0..<16 {
            group.enter()
            Thread {
                replies.append((index, RawHTTP.request(port: server.port, method: "POST", path: "/p\(index)")))
                group.leave()
            }.start()
        }
        #expect(waiting.wait(for: 16, seconds: 20))
        // The two threads still answer others while sixteen requests are parked.
        #expect(RawHTTP.request(port: server.port, method: "GET", path: "/now")?.body == "now")
        DispatchQueue.global().async { waiting.answerAll() }
        #expect(group.wait(timeout: .now() + 20) == .success)
        let answered = replies.all
        #expect(answered.count == 16)
        for (index, reply) in answered {
            #expect(reply?.status == 202, "request \(index)")
            #expect(reply?.body == "answered /p\(index)")
        }
    }

    @Test func stopWaitsForParkedAnswers() throws {
        let waiting = Waiting()
        let server = HTTPServer { request in .later { answer in waiting.park(path: request.path, answer) } }
        try server.start(host: "127.0.0.1", port: 0)
        let port = server.port
        let reply = Collected<RawHTTP.Reply?>()
        let sent = DispatchSemaphore(value: 0)
        Thread {
            reply.append(RawHTTP.request(port: port, method: "POST", path: "/slow"))
            sent.signal()
        }.start()
        #expect(waiting.wait(for: 1, seconds: 20))
        DispatchQueue.global().asyncAfter(deadline: .now() + 0.2) { waiting.answerAll() }
        server.stop()
        #expect(waiting.answered == 1)
        #expect(sent.wait(timeout: .now() + 20) == .success)
    }
}

@Suite struct ConnectionLimit {
    /// The limit asked for, unless the process may not open that many files.
    @Test func theLimitIsWhatFileDescriptorsAllow() {
        #expect(HTTPServer.connectionLimit(100) == 100)
        var limit = rlimit()
        #expect(getrlimit(__rlimit_resource_t(RLIMIT_NOFILE.rawValue), &limit) == 0)
        let huge = HTTPServer.connectionLimit(UInt32.max)
        #expect(huge > 0)
        #expect(rlim_t(huge) <= limit.rlim_max - HTTPServer.reservedDescriptors)
    }
}

@Suite struct ParkingWhileStopping {
    /// libmicrohttpd aborts the process if it stops with a connection suspended. A request that arrives on a
    /// kept-alive connection once the stop has begun must therefore not be parked.
    @Test func noConnectionIsParkedOnceTheStopHasBegun() {
        let parked = ParkedCount()
        #expect(parked.enter())
        let closed = DispatchSemaphore(value: 0)
        Thread {
            parked.close(deadline: Date() + 20)
            closed.signal()
        }.start()
        // The stop waits for the parked one; meanwhile no other may park.
        while parked.enter() {
            parked.remove()
            usleep(1_000)
        }
        #expect(closed.wait(timeout: .now() + 0.05) == .timedOut)
        parked.remove()
        #expect(closed.wait(timeout: .now() + 20) == .success)
        #expect(!parked.enter())
    }
}

/// Parked requests' answer functions, kept until the test answers them.
private final class Waiting: @unchecked Sendable {
    private let condition = NSCondition()
    private var parked: [(String, @Sendable (HTTPResponse) -> Void)] = []
    private(set) var answered = 0

    func park(path: String, _ answer: @escaping @Sendable (HTTPResponse) -> Void) {
        condition.withLock {
            parked.append((path, answer))
            condition.broadcast()
        }
    }

    func wait(for count: Int, seconds: Double) -> Bool {
        let deadline = Date() + seconds
        return condition.withLock {
            while parked.count < count { if !condition.wait(until: deadline) { return false } }
            return true
        }
    }

    func answerAll() {
        let all = condition.withLock {
            defer {
                answered += parked.count
                parked = []
            }
            return parked
        }
        for (path, answer) in all { answer(.text(202, "answered \(path)")) }
    }
}

/// Values appended from several threads.
private final class Collected<T>: @unchecked Sendable {
    private let lock = NSLock()
    private var values: [T] = []
    func append(_ value: T) { lock.withLock { values.append(value) } }
    var all: [T] { lock.withLock { values } }
}

/// One client address cannot take every connection: past its own limit it is turned away, and others are not.
@Suite struct ConnectionsPerAddress {
    /// Sends a GET on `fd` and reads the status line's code; nil when the server closes the connection instead.
    static func status(on fd: Int32) -> Int? {
        let request = Array("GET /x HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n".utf8)
        _ = request.withUnsafeBytes { send(fd, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }
        var buffer = [UInt8](repeating: 0, count: 4096)
        let count = recv(fd, &buffer, buffer.count, 0)
        guard count > 12 else { return nil }
        return Int(String(decoding: buffer[9..<12], as: UTF8.self))
    }

    @Test func aClientAtItsLimitIsTurnedAwayAndAnotherIsServed() throws {
        var limits = HTTPServer.Limits()
        limits.maxConnectionsPerAddress = 4
        let server = HTTPServer(limits: limits) { _ in .text(200, "ok") }
        try server.start(host: "127.0.0.1", port: 0)
        defer { server.stop() }
        var held: [Int32] = []
        defer { for fd in held { close(fd) } }
        for _ in 0..<4 { held.append(try #require(RawHTTP.connect(port: server.port, from: "127.0.0.2"))) }

        let fifth = try #require(RawHTTP.connect(port: server.port, from: "127.0.0.2"))
        defer { close(fifth) }
        #expect(Self.status(on: fifth) == nil, "the fifth connection from 127.0.0.2 is closed unanswered")
        let other = try #require(RawHTTP.connect(port: server.port, from: "127.0.0.1"))
        defer { close(other) }
        #expect(Self.status(on: other) == 200)
        // The held ones are still served.
        #expect(Self.status(on: held[0]) == 200)
    }
}

/// The deadline for a whole request, which the idle timeout cannot give: it starts over with every byte.
@Suite struct RequestDeadline {
    static func limits(seconds: UInt32) -> HTTPServer.Limits {
        var limits = HTTPServer.Limits()
        limits.requestTimeoutSeconds = seconds
        return limits
    }

    @Test func cutsOffAClientThatSendsItsRequestAByteAtATime() throws {
        let server = HTTPServer(limits: Self.limits(seconds: 1)) { _ in .text(200, "ok") }
        try server.start(host: "127.0.0.1", port: 0)
        defer { server.stop() }
        let slow = try #require(ClientSocket(port: server.port))
        let started = Date()
        var cutOff = false
        // A header line without end, a byte every 50 ms: never idle, never done.
        for byte in Array("GET / HTTP/1.1\r\nHost: x\r\nX-Slow: ".utf8) + [UInt8](repeating: 97, count: 200) {
            guard slow.send([byte]), !slow.closedByPeer() else {
                cutOff = true
                break
            }
            Thread.sleep(forTimeInterval: 0.05)
        }
        let elapsed = Date().timeIntervalSince(started)
        #expect(cutOff)
        #expect(elapsed >= 0.9 && elapsed < 5, "cut off after \(elapsed) s")
        #expect(RawHTTP.request(port: server.port, method: "GET", path: "/")?.status == 200)
    }

    /// The watch runs only while connections are open: an idle daemon is not woken every second.
    @Test func watchesOnlyWhileAConnectionIsOpen() throws {
        let server = HTTPServer(limits: Self.limits(seconds: 1)) { _ in .text(200, "ok") }
        try server.start(host: "127.0.0.1", port: 0)
        defer { server.stop() }
        #expect(!server.deadlines.isWatching)

        var client = ClientSocket(port: server.port)
        #expect(TestDaemon.eventually { server.deadlines.isWatching })
        #expect(client?.send(Array("GET / HTTP/1.1\r\nHost: x\r\n\r\n".utf8)) == true)
        #expect(client?.readReply()?.status == 200)
        client = nil

        #expect(TestDaemon.eventually { !server.deadlines.isWatching })
    }

    /// The limit counts from the previous answer: a connection kept alive may serve requests for longer.
    @Test func givesEachRequestOnAConnectionKeptAliveTheWholeLimit() throws {
        let server = HTTPServer(limits: Self.limits(seconds: 1)) { request in .text(200, request.path) }
        try server.start(host: "127.0.0.1", port: 0)
        defer { server.stop() }
        let client = try #require(ClientSocket(port: server.port))
        let started = Date()
        for index in 0..<4 {
            Thread.sleep(forTimeInterval: 0.5)
            #expect(client.send(Array("GET /\(index) HTTP/1.1\r\nHost: x\r\n\r\n".utf8)))
            #expect(client.readReply()?.body == "/\(index)")
        }
        #expect(Date().timeIntervalSince(started) > 2)
    }

    /// A request that is in waits for its answer however long that takes: a push parked until its commit.
    @Test func doesNotCutOffARequestWaitingForItsAnswer() throws {
        let server = HTTPServer(limits: Self.limits(seconds: 1)) { _ in
            .later { answer in DispatchQueue.global().asyncAfter(deadline: .now() + 2.5) { answer(.text(200, "late")) }
            }
        }
        try server.start(host: "127.0.0.1", port: 0)
        defer { server.stop() }
        let reply = RawHTTP.request(port: server.port, method: "POST", path: "/", body: Array("x".utf8))
        #expect(reply?.status == 200)
        #expect(reply?.body == "late")
    }
}

/// A client socket kept open across requests.
private final class ClientSocket {
    let fd: Int32

    init?(port: UInt16) {
        guard let fd = RawHTTP.connect(port: port) else { return nil }
        self.fd = fd
    }

    deinit { close(fd) }

    func send(_ bytes: [UInt8]) -> Bool {
        bytes.withUnsafeBytes { Glibc.send(fd, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) } == bytes.count
    }

    /// Whether the server has closed its end: a read that would wait says no.
    func closedByPeer() -> Bool {
        var byte: UInt8 = 0
        let count = recv(fd, &byte, 1, Int32(MSG_DONTWAIT))
        return count == 0 || (count < 0 && errno != EAGAIN && errno != EWOULDBLOCK)
    }

    /// Reads one reply with a Content-Length.
    func readReply() -> RawHTTP.Reply? {
        var received: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 4096)
        while true {
            if let reply = RawHTTP.parse(received), let length = reply.headers["content-length"].flatMap(Int.init),
                reply.body.utf8.count >= length
            {
                return reply
            }
            let count = recv(fd, &buffer, buffer.count, 0)
            if count <= 0 { return nil }
            received.append(contentsOf: buffer[0..<count])
        }
    }
}
