import Daemon
import Foundation
import JSON
import Storage
import TestKit
import Testing

/// How a send that keeps failing ends: retried until the channel's max_age, then failed with its reason,
/// and requeued on request.
@Suite struct DeliveryFailures {
    static let rules = [
        "r.yaml": """
        rules:
          - name: to-hook
            on: appointment.created
            notify:
              - channel: hook
        """
    ]

    @Test func aSendFailingPastMaxAgeIsFailedWithItsReasonAndCanBeRequeued() throws {
        let sink = try FakeHTTPServer(response: ScriptedResponse(status: 503, body: "busy"))
        defer { sink.stop() }
        let clock = ManualClock(Date())
        let config = "channels:\n  hook: {type: webhook, url: \"\(sink.url)/h\", max_age: 30m}"
        let daemon = try TestDaemon(rules: Self.rules, extraConfig: config, clock: clock)
        defer { daemon.stop() }
        let store = daemon.app.jobStore
        #expect(daemon.post(Fixture.example(id: "fail-1"))?.status == 200)
        // After each recorded attempt, move the clock ten minutes: past the backoff, not past the grace.
        var seen = 0
        for _ in 0..<10 {
            let settled = try TestDaemon.eventually(15) {
                let job = try store.jobs(orderKey: nil, state: nil, limit: 1).first
                return job.map { $0.state != .sending && $0.attempts > seen } ?? false
            }
            #expect(settled)
            if !settled {
                // What the daemon did, for whoever reads a failed run.
                for line in daemon.logLines.all { print("daemon log:", line) }
                print("job:", try store.jobs(orderKey: nil, state: nil, limit: 1), "clock:", clock.now())
            }
            let job = try #require(try store.jobs(orderKey: nil, state: nil, limit: 1).first)
            if job.state == .failed { break }
            seen = job.attempts
            clock.advance(by: 600)
            daemon.app.poke()
        }
        let failed = try #require(try store.jobs(orderKey: nil, state: .failed, limit: 1).first)
        #expect(failed.reason?.contains("max_age") == true)
        #expect(failed.reason?.contains("503") == true)
        #expect(failed.attempts >= 2)

        sink.respond(ScriptedResponse(status: 200, body: "ok"))
        let requeue = RawHTTP.request(port: daemon.port, method: "POST", path: "/api/jobs/retry-failed")
        #expect(requeue?.status == 200)
        #expect(try JSONValue.parse(requeue?.body ?? "")["requeued"] == 1)
        daemon.app.poke()
        #expect(try TestDaemon.eventually { try store.jobs(orderKey: nil, state: .sent, limit: 1).count == 1 })
    }

    @Test func aClientErrorFailsAtOnceWithoutRetrying() throws {
        let sink = try FakeHTTPServer(response: ScriptedResponse(status: 400, body: "bad request"))
        defer { sink.stop() }
        let config = "channels:\n  hook: {type: webhook, url: \"\(sink.url)/h\"}"
        let daemon = try TestDaemon(rules: Self.rules, extraConfig: config)
        defer { daemon.stop() }
        #expect(daemon.post(Fixture.example(id: "fail-2"))?.status == 200)
        let store = daemon.app.jobStore
        #expect(try TestDaemon.eventually { try store.jobs(orderKey: nil, state: .failed, limit: 1).count == 1 })
        let job = try #require(try store.jobs(orderKey: nil, state: .failed, limit: 1).first)
        #expect(job.attempts == 1)
        #expect(job.reason?.contains("400") == true)
        #expect(sink.requests.count == 1)
    }
}
