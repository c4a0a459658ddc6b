import Channels
import Crypto
import Foundation
import JSON
import TestKit
import Testing

@Suite struct WebhookChannelSends {
    @Test func postsTheRenderedBodyWithJobIDAndSignature() async throws {
        let server = try FakeHTTPServer(response: ScriptedResponse(status: 204))
        defer { server.stop() }
        let hook = try channel(
            ["type": "webhook", "url": server.url + "/hooks/in", "secret": "s3cr3t"],
            extra: [("headers", ["X-Shop": "north"])])
        let body: JSONValue = ["order": "A-1", "name": "张三"]

        let outcome = await send(hook, ["body": body], job: "job-42")

        #expect(outcome == .delivered(detail: "HTTP 204"))
        let request = try #require(server.requests.first)
        #expect(request.method == "POST")
        #expect(request.path == "/hooks/in")
        #expect(request.header("X-Scrm-Job") == "job-42")
        #expect(request.header("X-Shop") == "north")
        #expect(request.header("Content-Type")?.hasPrefix("application/json") == true)
        #expect(try json(request) == body)
        let expected = "sha256=" + Bytes.hex(HMAC.sha256(key: Array("s3cr3t".utf8), message: request.body))
        #expect(request.header("X-Scrm-Signature") == expected)
    }

    /// A content type the channel sets, in any case, replaces the default one instead of joining it.
    @Test func aContentTypeOfTheChannelInAnotherCaseIsSentAlone() async throws {
        let server = try FakeHTTPServer()
        defer { server.stop() }
        let hook = try channel(
            ["type": "webhook", "url": server.url], extra: [("headers", ["content-TYPE": "text/plain"])])

        #expect(await send(hook, ["body": "x"]) == .delivered(detail: "HTTP 200"))

        let request = try #require(server.requests.first)
        let types = request.headers.filter { $0.0.lowercased() == "content-type" }.map(\.1)
        #expect(types == ["text/plain"])
    }

    @Test func sendsTheEventWhenTheEntryHasNoBody() async throws {
        let server = try FakeHTTPServer()
        defer { server.stop() }
        let hook = try channel(["type": "webhook", "url": server.url])
        let event: JSONValue = ["id": "e1", "action": "APPOINTMENT_CREATE"]

        let outcome = await send(hook, [:], event: event)

        #expect(outcome == .delivered(detail: "HTTP 200"))
        #expect(try json(server.requests.first) == event)
        #expect(server.requests.first?.header("X-Scrm-Signature") == nil)
    }

    /// The event as stored, byte for byte (its spaces and escapes too), and signed as sent; an entry's body still
    /// wins over it.
    @Test func sendsTheStoredBytesOfTheEventAsTheyAre() async throws {
        let server = try FakeHTTPServer()
        defer { server.stop() }
        let hook = try channel(["type": "webhook", "url": server.url, "secret": "k"])
        let stored = Array(#"{"id":"e1", "action":"APPOINTMENT_CREATE","body":{"name":"张"}}"#.utf8)
        let event = try JSONValue.parse(stored)

        #expect(await send(hook, [:], event: event, eventBytes: stored) == .delivered(detail: "HTTP 200"))
        #expect(
            await send(hook, ["body": ["a": 1]], event: event, eventBytes: stored) == .delivered(detail: "HTTP 200"))

        let requests = server.requests
        #expect(requests.count == 2)
        #expect(requests.first?.body == stored)
        let signed = "sha256=" + Bytes.hex(HMAC.sha256(key: Array("k".utf8), message: stored))
        #expect(requests.first?.header("X-Scrm-Signature") == signed)
        #expect(requests.last?.body == Array(#"{"a":1}"#.utf8))
    }

    @Test func classifiesStatusesAsDeliveredRetryOrFailed() async throws {
        let server = try FakeHTTPServer()
        defer { server.stop() }
        let hook = try channel(["type": "webhook", "url": server.url])
        server.enqueue(
            ScriptedResponse(status: 500, body: "boom"), ScriptedResponse(status: 429, headers: [("Retry-After", "7")]),
            ScriptedResponse(status: 401, body: "who are you"), ScriptedResponse(status: 404))

        let outcomes = [
            await send(hook, ["body": "x"]), await send(hook, ["body": "x"]), await send(hook, ["body": "x"]),
            await send(hook, ["body": "x"]),
        ]

        #expect(outcomes[0] == .retry(reason: "HTTP 500: boom", after: nil))
        #expect(outcomes[1] == .retry(reason: "HTTP 429", after: .seconds(7)))
        #expect(outcomes[2] == .failed(reason: "HTTP 401: who are you"))
        #expect(outcomes[3] == .failed(reason: "HTTP 404"))
    }

    @Test func aHangingEndpointTimesOutAsRetry() async throws {
        let server = try FakeHTTPServer(response: ScriptedResponse(status: 200, delay: .seconds(30)))
        defer { server.stop() }
        let hook = try channel(["type": "webhook", "url": server.url, "timeout": "300ms"])
        let started = ContinuousClock.now

        let outcome = await send(hook, ["body": "x"])

        // The client gave up on its own, long before the server would have answered.
        #expect(outcome == .retry(reason: "timed out", after: nil))
        #expect(ContinuousClock.now - started < .seconds(15))
    }

    @Test func aRefusedConnectionIsRetried() async throws {
        let server = try FakeHTTPServer()
        let url = server.url
        server.stop()
        let hook = try channel(["type": "webhook", "url": url])

        let outcome = await send(hook, ["body": "x"])

        #expect(isRetry(outcome))
        #expect(outcome.reason?.hasPrefix("connection failed") == true)
    }
}
