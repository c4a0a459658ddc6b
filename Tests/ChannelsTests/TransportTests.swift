import Channels
import Foundation
import TestKit
import Testing

@Suite struct HTTPTransport {
    /// Response headers come back as name and value, without the blanks around either, in order.
    @Test func readsResponseHeadersWithoutTheirSurroundingBlanks() async throws {
        let server = try FakeHTTPServer(
            response: ScriptedResponse(
                status: 202, headers: [("X-Spaced", "  two  words\t"), ("Retry-After", "7"), ("X-Last", "z")],
                body: "done"))
        defer { server.stop() }
        let result = await client.perform(OutboundRequest(url: server.url + "/hook", body: Array("{}".utf8)))
        guard case .response(let status, let headers, let body) = result else {
            Issue.record("no response: \(result)")
            return
        }
        #expect(status == 202)
        #expect(String(decoding: body, as: UTF8.self) == "done")
        let named = headers.filter { $0.0.hasPrefix("X-") || $0.0 == "Retry-After" }
        #expect(named.map(\.0) == ["X-Spaced", "Retry-After", "X-Last"])
        #expect(named.map(\.1) == ["two  words", "7", "z"])
    }

    /// A finished transfer's handle is reset before the next one takes it: nothing of one request reaches the next.
    @Test func aReusedTransferCarriesNothingOfTheRequestBefore() async throws {
        let server = try FakeHTTPServer()
        defer { server.stop() }
        let fresh = HTTPClient()
        let first = OutboundRequest(
            method: "PUT", url: server.url + "/first", headers: [("X-First", "1")], body: Array("one".utf8),
            username: "user", password: "secret")
        _ = await fresh.perform(first)
        _ = await fresh.perform(OutboundRequest(method: "GET", url: server.url + "/second"))
        #expect(server.waitForRequests(count: 2))
        let seen = server.requests
        try #require(seen.count == 2)
        #expect(seen[0].method == "PUT" && seen[0].header("Authorization") != nil && seen[0].header("X-First") == "1")
        #expect(seen[1].method == "GET" && seen[1].path == "/second" && seen[1].body.isEmpty)
        #expect(seen[1].header("Authorization") == nil && seen[1].header("X-First") == nil)
    }

    /// A line break in a request header's value is dropped, so the value cannot start a header of its own.
    @Test func aLineBreakInARequestHeaderCannotAddAnother() async throws {
        let server = try FakeHTTPServer()
        defer { server.stop() }
        let request = OutboundRequest(url: server.url + "/hook", headers: [("X-Note", "a\r\nX-Injected: 1")])
        _ = await client.perform(request)
        #expect(server.waitForRequests(count: 1))
        let seen = try #require(server.requests.first)
        #expect(seen.header("X-Injected") == nil)
        #expect(seen.header("X-Note") == "aX-Injected: 1")
    }
}
