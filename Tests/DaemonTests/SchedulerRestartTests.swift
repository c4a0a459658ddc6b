import Daemon
import Foundation
import JSON
import Storage
import TestKit
import Testing

/// Reminders across stops and restarts of the daemon, and the operator's view of them.
@Suite(.serialized) struct SchedulerRestart {
    @Test func remindersThatFellDueWhileStoppedAreSentOrMarkedMissedAndNoneTwice() throws {
        let daemon = try SchedulerHarness(rules: SchedulerTiming.remind)
        defer { daemon.close() }
        daemon.push(SchedulerHarness.event(id: "d-a", order: "A"))  // due 16:30
        daemon.push(SchedulerHarness.event(id: "d-b", order: "B", arrival: "2024-10-15 16:00:00"))  // due 14:00
        daemon.push(SchedulerHarness.event(id: "d-c", order: "C", arrival: "2024-10-15 22:00:00"))  // due 20:00
        let ids = try ["A", "B", "C"].map { try #require(try daemon.jobs($0).first).id }
        daemon.stop()

        daemon.clock.set(SchedulerHarness.shanghai("2024-10-15 17:00:00"))
        try daemon.start()
        #expect(daemon.sink.waitForRequests(count: 1))
        #expect(daemon.settle())
        #expect(try daemon.jobs("A").first?.state == .sent)
        let missed = try #require(try daemon.jobs("B").first)
        #expect(missed.state == .missed)
        #expect(
            missed.reason == "due 2024-10-15 14:00:00, 3h late when the daemon could send it, "
                + "more than the rule's grace of 1h")
        #expect(try daemon.jobs("C").first?.state == .planned)

        daemon.stop()
        try daemon.start()
        daemon.set("2024-10-15 20:00:00")
        #expect(daemon.sink.waitForRequests(count: 2))
        #expect(daemon.settle())
        Thread.sleep(forTimeInterval: 0.1)
        #expect(daemon.sentJobIDs == [ids[0], ids[2]])
        #expect(try daemon.store.attempts(jobID: ids[0]).map(\.outcome) == ["sent"])
    }

    @Test func theGraceBoundaryIsInclusive() throws {
        let daemon = try SchedulerHarness(rules: SchedulerTiming.remind)
        defer { daemon.close() }
        daemon.push(SchedulerHarness.event(id: "g-a", order: "A"))  // due 16:30:00
        daemon.push(SchedulerHarness.event(id: "g-b", order: "B", arrival: "2024-10-15 18:29:59"))  // 16:29:59
        daemon.stop()
        daemon.clock.set(SchedulerHarness.shanghai("2024-10-15 17:30:00"))
        try daemon.start()
        #expect(daemon.sink.waitForRequests(count: 1))
        #expect(daemon.settle())
        #expect(try daemon.jobs("A").first?.state == .sent)
        #expect(try daemon.jobs("B").first?.state == .missed)
        #expect(try daemon.jobs("B").first?.reason?.contains("1h 1s late") == true)
    }

    @Test func aJobCaughtSendingByAStopIsSentAfterRestartUnderTheSameJobID() throws {
        let sink = try FakeHTTPServer()
        // The first send hangs past the stop; the App is gone before the gateway answers.
        sink.enqueue(ScriptedResponse(status: 200, body: "late", delay: .seconds(3)))
        let daemon = try SchedulerHarness(rules: SchedulerTiming.remind, hookOptions: "timeout: 2s", sink: sink)
        defer { daemon.close() }
        daemon.push(SchedulerHarness.event(id: "s-1"))
        let job = try #require(try daemon.jobs("Y1").first)
        daemon.set("2024-10-15 16:30:00")
        #expect(sink.waitForRequests(count: 1))
        #expect(try daemon.jobs("Y1").first?.state == .sending)
        daemon.stop(deadline: Date())

        daemon.clock.advance(by: 60)
        try daemon.start()
        #expect(sink.waitForRequests(count: 2))
        #expect(daemon.settle())
        #expect(daemon.sentJobIDs == [job.id, job.id])
        let settled = try #require(try daemon.jobs("Y1").first)
        #expect(settled.state == .sent)
        #expect(try daemon.store.attempts(jobID: job.id).map(\.outcome) == ["interrupted", "sent"])
    }

    @Test func jobsShowEveryStateWithItsReasonAndTimesInTheShopsZone() throws {
        let sink = try FakeHTTPServer()
        let rules =
            SchedulerTiming.remind + """

                  - name: refused
                    on: appointment.created
                    at: order.arrival_time - 1h
                    notify:
                      - channel: hook
                        body: {kind: refused}
                """
        sink.enqueue(ScriptedResponse(status: 200), ScriptedResponse(status: 400, body: "bad request"))
        let daemon = try SchedulerHarness(rules: rules, sink: sink)
        defer { daemon.close() }
        daemon.push(SchedulerHarness.event(id: "v-a", order: "A", arrival: "2024-10-15 13:30:00"))  // skipped, 12:30
        daemon.push(SchedulerHarness.event(id: "v-b", order: "B", arrival: "2024-10-15 17:00:00"))  // 15:00, 16:00
        daemon.push(SchedulerHarness.event(id: "v-c", order: "C", arrival: "2024-10-15 23:00:00"))  // 21:00, 22:00
        daemon.push(SchedulerHarness.event(id: "v-d", order: "D", arrival: "2024-10-15 23:00:00", status: 30))
        daemon.set("2024-10-15 15:00:00")
        #expect(sink.waitForRequests(count: 1))
        daemon.set("2024-10-15 16:00:00")
        #expect(sink.waitForRequests(count: 2))
        #expect(daemon.settle())
        daemon.push(SchedulerHarness.event(id: "v-c2", order: "C", arrival: "2024-10-15 23:30:00"))
        let reply = RawHTTP.request(port: daemon.running.port, method: "GET", path: "/api/jobs")
        #expect(reply?.status == 200)
        let jobs = try #require(try JSONValue.parse(reply?.body ?? "")["jobs"]?.arrayValue)
        let states = Set(jobs.compactMap { $0["state"]?.stringValue })
        #expect(states.isSuperset(of: ["planned", "sent", "skipped", "missed", "failed", "cancelled"]))
        for job in jobs where job["state"] != "sent" {
            #expect(job["reason"]?.stringValue?.isEmpty == false, "no reason for \(job.serialized())")
        }
        let sent = try #require(jobs.first { $0["state"] == "sent" })
        #expect(sent["due"] == "2024-10-15 15:00:00")
        let failed = try #require(jobs.first { $0["state"] == "failed" })
        #expect(failed["reason"]?.stringValue?.contains("400") == true)
    }

    @Test func cancelByOrderWorksFromTheCommandLineAndTheAdminAPI() throws {
        let daemon = try SchedulerHarness(rules: SchedulerTiming.remind)
        defer { daemon.close() }
        daemon.push(SchedulerHarness.event(id: "c-a", order: "A"))
        daemon.push(SchedulerHarness.event(id: "c-b", order: "B"))
        daemon.push(SchedulerHarness.event(id: "c-c", order: "C"))

        #expect(CommandLineTool.run(["scrm-notify", "cancel", "--order", "A", "--config", daemon.configPath]) == 0)
        let reply = RawHTTP.request(port: daemon.running.port, method: "DELETE", path: "/api/jobs?order=B")
        #expect(try JSONValue.parse(reply?.body ?? "") == ["cancelled": 1])

        #expect(try daemon.jobs("A").first?.reason == "cancelled from the command line")
        #expect(try daemon.jobs("B").first?.reason == "cancelled through the admin API")
        daemon.set("2024-10-15 16:30:00")
        #expect(daemon.sink.waitForRequests(count: 1))
        #expect(daemon.settle())
        Thread.sleep(forTimeInterval: 0.1)
        #expect(daemon.sentJobIDs == [try #require(try daemon.jobs("C").first).id])
        #expect(try daemon.jobs("A").first?.state == .cancelled)
        #expect(try daemon.jobs("B").first?.state == .cancelled)
    }
}
