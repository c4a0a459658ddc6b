import Daemon
import Foundation
import Testing

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
}
