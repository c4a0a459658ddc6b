import Crypto
import Daemon
import Events
import Foundation
import JSON
import Storage
import TestKit
import Testing

/// The whole path over real sockets: push in, stored, rule matched, notification out.
@Suite(.serialized) struct EndToEnd {
    static let token = "thisisatoken"
    static let aesKey = "jWmYm7qr5nMoAUwZRjGtBxmz3KA1tkAj3ykkR6q2B2C"

    static func webhookRules(_ sink: FakeHTTPServer) -> [String: String] {
        [
            "staff.yaml": """
            rules:
              - name: new-booking-to-hook
                on: appointment.created
                when: order.order_status == 10
                notify:
                  - channel: hook
            """
        ]
    }

    static func config(_ sink: FakeHTTPServer, encryption: Bool = true) -> String {
        var text = """
            channels:
              hook: {type: webhook, url: "\(sink.url)/hook", secret: "${WEBHOOK_SECRET}"}
            """
        if encryption {
            text += "\ncallback: {token: \(token), aes_key: \(aesKey), receive_id: \"\"}"
        }
        return text
    }

    @Test func aPlainPushIsAcknowledgedStoredAndDeliveredToTheWebhook() throws {
        let sink = try FakeHTTPServer()
        defer { sink.stop() }
        let daemon = try TestDaemon(rules: Self.webhookRules(sink), extraConfig: Self.config(sink))
        defer { daemon.stop() }
        let reply = daemon.post(Fixture.example(id: "e2e-1"))
        #expect(reply?.status == 200)
        #expect(try JSONValue.parse(reply?.body ?? "") == ["code": 1, "msg": "成功"])
        #expect(sink.waitForRequests(count: 1, timeout: .seconds(10)))
        let request = try #require(sink.requests.first)
        #expect(request.path == "/hook")
        let delivered = try JSONValue.parse(request.body)
        #expect(delivered["id"] == "e2e-1")
        #expect(delivered["body"]?["order"]?["order_id"] == .number("634089652327989200"))
        // Without a body of its own the entry sends the event as it is stored, byte for byte.
        #expect(request.body == (try daemon.app.jobStore.event(id: "e2e-1"))?.raw)
        let expected = Bytes.hex(HMAC.sha256(key: Array("s3cr3t-value".utf8), message: request.body))
        #expect(request.header("X-Scrm-Signature") == "sha256=" + expected)
        #expect(
            try TestDaemon.eventually {
                try daemon.app.jobStore.jobs(orderKey: "Y634089652417560576", state: .sent, limit: 10).count == 1
            })
        #expect(!daemon.logLines.all.joined().contains("s3cr3t-value"))
    }

    @Test func aRepeatedEventIdIsAcknowledgedAndChangesNothing() throws {
        let sink = try FakeHTTPServer()
        defer { sink.stop() }
        let daemon = try TestDaemon(rules: Self.webhookRules(sink), extraConfig: Self.config(sink))
        defer { daemon.stop() }
        #expect(daemon.post(Fixture.example(id: "dup-1"))?.status == 200)
        #expect(sink.waitForRequests(count: 1, timeout: .seconds(10)))
        let again = daemon.post(Fixture.example(id: "dup-1"))
        #expect(again?.status == 200)
        #expect(try JSONValue.parse(again?.body ?? "")["code"] == 1)
        daemon.app.drainPlanning()
        Thread.sleep(forTimeInterval: 0.3)
        #expect(sink.requests.count == 1)
        #expect(try daemon.app.jobStore.jobs(orderKey: nil, state: nil, limit: 10).count == 1)
    }

    @Test func anEncryptedPushIsVerifiedDecryptedAndAccepted() throws {
        let sink = try FakeHTTPServer()
        defer { sink.stop() }
        let daemon = try TestDaemon(rules: Self.webhookRules(sink), extraConfig: Self.config(sink))
        defer { daemon.stop() }
        let crypto = try CallbackCrypto(token: Self.token, encodingAESKey: Self.aesKey, receiveID: "")
        let plain = try Envelope.decode(Fixture.example(id: "enc-1"))
        let sealed = crypto.seal(plain.body.serializedBytes(), timestamp: "1661233174", nonce: "9ZvYhI4aFmR7wUNl")
        let push = plain.withBody(sealed.json).json.serializedBytes()
        let reply = daemon.post(push)
        #expect(reply?.status == 200)
        #expect(sink.waitForRequests(count: 1, timeout: .seconds(10)))
        #expect(try JSONValue.parse(sink.requests[0].body)["body"]?["order_num"] == "Y634089652417560576")

        var tampered = sealed.json
        if case .object(var object) = tampered {
            object["msgSignature"] = .string(String(repeating: "0", count: 40))
            tampered = .object(object)
        }
        let bad = daemon.post(plain.withBody(tampered).json.serializedBytes())
        #expect(bad?.status == 401)
        #expect(try JSONValue.parse(bad?.body ?? "")["code"] == 0)
    }

    @Test func malformedAndOversizedPushesGetCodeZeroAndTheReason() throws {
        let sink = try FakeHTTPServer()
        defer { sink.stop() }
        let daemon = try TestDaemon(rules: Self.webhookRules(sink), extraConfig: Self.config(sink))
        defer { daemon.stop() }
        let notJSON = daemon.post(Array("{not json".utf8))
        #expect(notJSON?.status == 400)
        let answer = try JSONValue.parse(notJSON?.body ?? "")
        #expect(answer["code"] == 0)
        #expect(answer["msg"]?.stringValue?.contains("JSON") == true)
        let noID = daemon.post(Array(#"{"event":"CRM_CONTACT","action":"X","body":{}}"#.utf8))
        #expect(noID?.status == 400)
        let huge = daemon.post([UInt8](repeating: 0x20, count: (1 << 20) + 10))
        #expect(huge?.status == 413)
        #expect(try JSONValue.parse(huge?.body ?? "")["code"] == 0)
        #expect(RawHTTP.request(port: daemon.port, method: "GET", path: "/healthz")?.status == 200)
        #expect(RawHTTP.request(port: daemon.port, method: "GET", path: "/readyz")?.status == 200)
    }

    @Test func urlVerificationAnswersTheDecryptedEcho() throws {
        let sink = try FakeHTTPServer()
        defer { sink.stop() }
        let config = """
            callback: {token: QDG6eK, aes_key: \(Self.aesKey), receive_id: wx5823bf96d3bd56c7}
            """
        let daemon = try TestDaemon(rules: [:], extraConfig: config)
        defer { daemon.stop() }
        let echo = "P9nAzCzyDtyTWESHep1vC5X9xho/qYX3Zpb4yKa9SKld1DsH3Iyt3tP3zNdtp+4RPcs8TgAE7OaBO+FZXvnaqQ=="
        let encoded = echo.addingPercentEncoding(withAllowedCharacters: .alphanumerics) ?? echo
        let path =
            "/callback?msg_signature=5c45ff5e21c57e6ad56bac8758b79b1d9ac89fd3&timestamp=1409659589"
            + "&nonce=263014780&echostr=\(encoded)"
        let reply = RawHTTP.request(port: daemon.port, method: "GET", path: path)
        #expect(reply?.status == 200)
        #expect(reply?.body == "1616140317555161061")
        let wrong = RawHTTP.request(
            port: daemon.port, method: "GET", path: path.replacingOccurrences(of: "5c45", with: "0000"))
        #expect(wrong?.status == 401)
    }

    @Test func aFailedSendIsRetriedWithBackoffUntilItGoesThrough() throws {
        let sink = try FakeHTTPServer()
        defer { sink.stop() }
        sink.enqueue(ScriptedResponse(status: 500, body: "down"))
        let clock = ManualClock(Date())
        let daemon = try TestDaemon(rules: Self.webhookRules(sink), extraConfig: Self.config(sink), clock: clock)
        defer { daemon.stop() }
        #expect(daemon.post(Fixture.example(id: "retry-1"))?.status == 200)
        #expect(sink.waitForRequests(count: 1, timeout: .seconds(10)))
        let store = daemon.app.jobStore
        #expect(
            try TestDaemon.eventually {
                let job = try store.jobs(orderKey: nil, state: .planned, limit: 1).first
                return job?.attempts == 1 && job?.reason != nil
            })
        clock.advance(by: 3600)
        daemon.app.poke()
        #expect(sink.waitForRequests(count: 2, timeout: .seconds(10)))
        #expect(try TestDaemon.eventually { try store.jobs(orderKey: nil, state: .sent, limit: 1).count == 1 })
        let job = try #require(try store.jobs(orderKey: nil, state: .sent, limit: 1).first)
        #expect(try store.attempts(jobID: job.id).count == 2)
    }
}
