import Channels
import Foundation
import JSON
import Synchronization
import TestKit
import Testing

@Suite struct ConcurrentDelivery {
    @Test func oneHangingEndpointDoesNotHoldUpFortyNineOthers() async throws {
        let fast = try FakeHTTPServer(response: ScriptedResponse(status: 200, delay: .milliseconds(50)))
        let stuck = try FakeHTTPServer(response: ScriptedResponse(status: 200, delay: .seconds(10)))
        defer {
            fast.stop()
            stuck.stop()
        }
        let good = try channel(["type": "webhook", "url": fast.url, "timeout": "4s"], name: "good")
        let bad = try channel(["type": "webhook", "url": stuck.url, "timeout": "4s"], name: "bad")
        let deliverer = Deliverer(client: client)
        let started = ContinuousClock.now

        let finished = await withTaskGroup(of: (Bool, Duration, DeliveryOutcome).self) { group in
            for index in 0..<50 {
                let target = index == 0 ? bad : good
                group.addTask {
                    let outcome = await deliverer.send(
                        channel: target, payload: ["body": ["n": .int(index)]], context: SendContext(jobID: "j\(index)")
                    )
                    return (index == 0, ContinuousClock.now - started, outcome)
                }
            }
            var results: [(Bool, Duration, DeliveryOutcome)] = []
            for await result in group { results.append(result) }
            return results
        }

        let others = finished.filter { !$0.0 }
        #expect(others.count == 49)
        #expect(others.allSatisfy { $0.2 == .delivered(detail: "HTTP 200") })
        // Relative, not absolute, timing: every other send is done long before the stuck one times out.
        let slowest = try #require(others.map(\.1).max())
        let hung = try #require(finished.first { $0.0 })
        #expect(hung.2 == .retry(reason: "timed out", after: nil))
        #expect(hung.1 >= .seconds(4))
        #expect(slowest < hung.1 - .seconds(2))
        #expect(fast.requests.count == 49)
    }

    @Test func sendsToOneHostShareABoundedNumberOfConnections() async throws {
        let server = try FakeHTTPServer(response: ScriptedResponse(status: 200, delay: .milliseconds(200)))
        defer { server.stop() }
        let hook = try channel(["type": "webhook", "url": server.url, "timeout": "20s"])
        let deliverer = Deliverer(client: client)
        let outcomes = await withTaskGroup(of: DeliveryOutcome.self) { group in
            for index in 0..<100 {
                group.addTask {
                    await deliverer.send(
                        channel: hook, payload: ["body": ["n": .int(index)]], context: SendContext(jobID: "j\(index)"))
                }
            }
            var outcomes: [DeliveryOutcome] = []
            for await outcome in group { outcomes.append(outcome) }
            return outcomes
        }
        #expect(outcomes.count == 100)
        #expect(outcomes.allSatisfy { $0 == .delivered(detail: "HTTP 200") }, "\(outcomes.first.map { "\($0)" } ?? "")")
        #expect(server.mostAtOnce <= HTTPClient.maxConnectionsPerHost, "\(server.mostAtOnce) at once")
        #expect(server.mostAtOnce > 1, "sends to one host still go in parallel")
    }

    @Test func theDelivererWaitsForTheRateLimiter() async throws {
        let server = try FakeHTTPServer()
        defer { server.stop() }
        let hook = try channel(["type": "webhook", "url": server.url, "rate_limit": "2/s"])
        let deliverer = Deliverer(client: client)
        let started = ContinuousClock.now

        for _ in 0..<3 {
            _ = await deliverer.send(channel: hook, payload: ["body": "x"], context: SendContext(jobID: "j"))
        }

        #expect(ContinuousClock.now - started >= .milliseconds(450))
        #expect(server.requests.count == 3)
    }
}

@Suite struct SecretsStayOut {
    @Test func noConfiguredSecretAppearsInAnyOutcomeOrError() async throws {
        let server = try FakeHTTPServer()
        defer { server.stop() }
        let closed = try FakeHTTPServer()
        let closedPort = closed.port
        closed.stop()
        let base = server.url
        let cases: [(settings: [String: String], entry: JSONValue, secrets: [String])] = [
            (["type": "wecom", "url": base + "/cgi-bin/webhook/send?key=WECOMKEY123"], ["text": "t"], ["WECOMKEY123"]),
            (
                ["type": "dingtalk", "url": base + "/robot/send?access_token=DINGTOKEN123", "secret": "DINGSECRET123"],
                ["text": "t"], ["DINGTOKEN123", "DINGSECRET123"]
            ),
            (
                ["type": "feishu", "url": base + "/open-apis/bot/v2/hook/FEISHUHOOK123", "secret": "FEISHUSECRET123"],
                ["text": "t"], ["FEISHUHOOK123", "FEISHUSECRET123"]
            ),
            (
                ["type": "slack", "url": base + "/services/T0AAA/B0BBB/SLACKSECRET123"], ["text": "t"],
                ["SLACKSECRET123"]
            ),
            (
                ["type": "webhook", "url": base + "/in?token=HOOKTOKEN123", "secret": "HOOKSECRET123"], ["body": "b"],
                ["HOOKTOKEN123", "HOOKSECRET123", "HOOKBEARER123"]
            ),
            (
                [
                    "type": "aliyun-sms", "url": base, "access_key_id": "ALIID123", "access_key_secret": "ALISECRET123",
                    "sign_name": "s",
                ], ["to": "13800001111", "template": "T"], ["ALISECRET123", "ALIID123"]
            ),
            (
                [
                    "type": "tencent-sms", "url": base, "secret_id": "TCID123", "secret_key": "TCSECRET123",
                    "sdk_app_id": "1", "sign_name": "s",
                ], ["to": "13800001111", "template": "1"], ["TCSECRET123", "TCID123"]
            ),
            (
                [
                    "type": "smtp", "url": "smtp://127.0.0.1:\(closedPort)", "username": "u", "password": "SMTPPASS123",
                    "from": "a@example.com", "starttls": "optional",
                ], ["to": "b@example.com", "text": "t"], ["SMTPPASS123"]
            ),
        ]
        for (settings, entry, secrets) in cases {
            let target = try channel(settings, extra: [("headers", ["Authorization": "Bearer HOOKBEARER123"])])
            let echo = "rejected \(base)/x?key=\(secrets[0]) " + secrets.joined(separator: " ")
            let echoJSON = JSONValue.string(echo).serialized()
            server.enqueue(
                ScriptedResponse(status: 500, body: echo), ScriptedResponse(status: 401, body: echo),
                .json(
                    #"{"errcode":1,"errmsg":\#(echoJSON),"code":1,"msg":\#(echoJSON),"#
                        + #""Code":"X","Message":\#(echoJSON),"#
                        + #""Response":{"Error":{"Code":"X","Message":\#(echoJSON)}}}"#))
            var texts: [String] = []
            for _ in 0..<3 { texts.append(await send(target, entry).reason ?? "") }
            do {
                _ = try target.makeRequest(["unrelated": "x"], context: SendContext(jobID: "j"))
            } catch {
                texts.append(error.description)
            }
            for text in texts {
                for secret in secrets {
                    #expect(!text.contains(secret), "\(settings["type"]!) leaked a secret in: \(text)")
                }
            }
        }
    }
}

@Suite struct DeliveryStartedWithoutWaiting {
    /// `start` returns once the request is on its way, and the answer reaches the completion judged as `send`
    /// judges it.
    @Test func theJudgedAnswerReachesTheCompletion() async throws {
        let server = try FakeHTTPServer()
        defer { server.stop() }
        server.enqueue(ScriptedResponse(status: 503, body: "busy"), ScriptedResponse(status: 204))
        let hook = try channel(["type": "webhook", "url": server.url])
        let deliverer = Deliverer(client: client)

        var outcomes: [DeliveryOutcome] = []
        for job in ["j1", "j2"] {
            let outcome = await withCheckedContinuation { continuation in
                Task {
                    await deliverer.start(channel: hook, payload: ["body": "x"], context: SendContext(jobID: job)) {
                        continuation.resume(returning: $0)
                    }
                }
            }
            outcomes.append(outcome)
        }

        #expect(outcomes == [.retry(reason: "HTTP 503: busy", after: nil), .delivered(detail: "HTTP 204")])
        #expect(server.requests.map { $0.header("X-Scrm-Job") } == ["j1", "j2"])
    }

    /// A channel that makes no request (the console prints) has delivered before `start` returns.
    @Test func whatNeedsNoRequestSettlesAtOnce() async throws {
        let console = try channel(["type": "console"], name: "console")
        let deliverer = Deliverer(client: client)
        let settled = Mutex<[DeliveryOutcome]>([])

        await deliverer.start(channel: console, payload: ["text": "hi"], context: SendContext(jobID: "c")) { outcome in
            settled.withLock { $0.append(outcome) }
        }
        #expect(settled.withLock { $0 } == [.delivered(detail: nil)])
    }
}
