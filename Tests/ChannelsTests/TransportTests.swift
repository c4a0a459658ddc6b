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
