import Events
import Foundation
import JSON
import TestKit
import Testing

@testable import Daemon

/// No log line carries a secret, even where a gateway echoes one back in its error.
@Suite(.serialized) struct OperationsSecrets {
    static let callbackToken = "cbtoken9Q2x"
    static let aesKey = "jWmYm7qr5nMoAUwZRjGtBxmz3KA1tkAj3ykkR6q2B2C"
    static let adminToken = "admin-tok-5d1e77"
    static let wecomKey = "wk-693axxx6-7aoc-4bc4-97a0-0ec2sifa5aaa"
    static let hookSecret = "hook-hmac-4471"
    static let headerToken = "hdr-bearer-88c2"
    static let smtpPassword = "smtp-pass-31ff"

    static var all: [String] { [callbackToken, aesKey, adminToken, wecomKey, hookSecret, headerToken, smtpPassword] }

    static func config(_ fake: FakeHTTPServer, hook: FakeHTTPServer) -> String {
        """
        callback: {token: \(callbackToken), aes_key: \(aesKey), receive_id: ""}
        admin: {token: \(adminToken)}
        channels:
          group: {type: wecom, url: "\(fake.url)/cgi-bin/webhook/send?key=\(wecomKey)"}
          hook:
            type: webhook
            url: "\(hook.url)/hook"
            secret: \(hookSecret)
            headers: {Authorization: "Bearer \(headerToken)"}
          mail: {type: smtp, url: "smtp://127.0.0.1:1", username: ops, password: \(smtpPassword), from: a@example.com}
        """
    }

    static let rules = [
        "leak.yaml": """
        rules:
          - name: to-group
            on: appointment.created
            notify:
              - channel: group
                text: "新预约 {{ order.order_num }}"
          - name: to-hook
            on: appointment.created
            notify:
              - channel: hook
        """
    ]

    @Test func failedSendsRefusedPushesAndAdminCallsLogNoSecret() async throws {
        // Both gateways answer with errors that quote the credentials they were sent.
        let fake = try FakeHTTPServer(
            response: .json(#"{"errcode":93000,"errmsg":"invalid webhook url, hint: key=\#(Self.wecomKey)"}"#))
        defer { fake.stop() }
        let hook = try FakeHTTPServer(response: ScriptedResponse(status: 400, body: "bad Bearer \(Self.headerToken)"))
        defer { hook.stop() }
        let daemon = try TestDaemon(rules: Self.rules, extraConfig: Self.config(fake, hook: hook))
        defer { daemon.stop() }

        let crypto = try CallbackCrypto(token: Self.callbackToken, encodingAESKey: Self.aesKey, receiveID: "")
        let plain = try Envelope.decode(Fixture.example(id: "leak-1"))
        let sealed = crypto.seal(plain.body.serializedBytes(), timestamp: "1661233174", nonce: "nonce-1")
        #expect(daemon.post(plain.withBody(sealed.json).json.serializedBytes())?.status == 200)
        var tampered = sealed.json
        if case .object(var object) = tampered {
            object["msgSignature"] = .string(String(repeating: "0", count: 40))
            tampered = .object(object)
        }
        #expect(daemon.post(plain.withBody(tampered).json.serializedBytes())?.status == 401)
        let verify = "/callback?msg_signature=00&timestamp=1&nonce=2&echostr=\(Self.aesKey)"
        #expect(RawHTTP.request(port: daemon.port, method: "GET", path: verify)?.status == 401)
        #expect(
            await Poll.until(10) {
                (try? daemon.app.jobStore.jobs(orderKey: nil, state: .failed, limit: 10))?.count == 2
            })
        let wrongAdmin = ["Authorization": "Bearer " + Self.adminToken + "0"]
        #expect(
            RawHTTP.request(port: daemon.port, method: "GET", path: "/api/jobs", headers: wrongAdmin)?.status == 401)
        let admin = ["Authorization": "Bearer " + Self.adminToken]
        let jobs = try #require(RawHTTP.request(port: daemon.port, method: "GET", path: "/api/jobs", headers: admin))
        #expect(jobs.status == 200)

        let log = daemon.logLines.all.joined(separator: "\n")
        #expect(log.contains("notification failed") && log.contains("push refused"))
        for secret in Self.all {
            #expect(!log.contains(secret), "\(secret) leaked into the log")
            // The admin API shows reasons too; it must not leak them either.
            #expect(!jobs.body.contains(secret), "\(secret) leaked into the admin API")
        }
    }

    @Test func theServeCommandHandsEveryConfiguredSecretToTheLogSink() throws {
        let fake = try FakeHTTPServer()
        defer { fake.stop() }
        let config = try Config.parse(Self.config(fake, hook: fake), file: "c.yaml", environment: [:]).get()
        let secrets = Set(LogSecrets.of(config))
        for secret in Self.all { #expect(secrets.contains(secret), "\(secret) not protected") }
        // Settings that are not secrets are not garbled in log lines.
        #expect(!secrets.contains("ops") && !secrets.contains("webhook") && !secrets.contains(fake.url))
    }
}
