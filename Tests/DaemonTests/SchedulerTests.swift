import Daemon
import Foundation
import Storage
import TestKit
import Testing

/// Reminders on a manual clock: sent at their time, late ones skipped or sent, quiet hours, re-planning and the
/// send-time re-check.
@Suite(.serialized) struct SchedulerTiming {
    static let remind = """
        rules:
          - name: remind
            on: appointment.created
            when: order.order_status in [10, 20]
            at: order.arrival_time - 2h
            notify:
              - channel: hook
        """

    @Test func aReminderGoesOutWhenTheClockReachesItsTimeAndNotBefore() throws {
        let daemon = try SchedulerHarness(rules: Self.remind)
        defer { daemon.close() }
        #expect(daemon.push(SchedulerHarness.event(id: "t-1")) == 200)
        let job = try #require(try daemon.jobs("Y1").first)
        #expect(job.state == .planned)
        #expect(job.dueAt == SchedulerHarness.shanghai("2024-10-15 16:30:00"))

        daemon.set("2024-10-15 16:29:59")
        #expect(daemon.settle())
        Thread.sleep(forTimeInterval: 0.1)
        #expect(daemon.sink.requests.isEmpty)

        daemon.set("2024-10-15 16:30:00")
        #expect(daemon.sink.waitForRequests(count: 1))
        #expect(daemon.settle())
        #expect(daemon.sentJobIDs == [job.id])
        #expect(try daemon.jobs("Y1").map(\.state) == [.sent])
    }

    @Test func aTimeAlreadyPastIsSkippedByDefaultAndSentNowWithLateSend() throws {
        let rules =
            Self.remind + """

                  - name: remind-late
                    on: appointment.created
                    at: order.arrival_time - 3h
                    late: send
                    notify:
                      - channel: hook
                """
        let daemon = try SchedulerHarness(rules: rules)
        defer { daemon.close() }
        // 17:00: both times (16:30 and 15:30) have passed when the booking arrives.
        daemon.set("2024-10-15 17:00:00")
        daemon.push(SchedulerHarness.event(id: "late-1"))
        #expect(daemon.sink.waitForRequests(count: 1))
        #expect(daemon.settle())
        let byRule = Dictionary(uniqueKeysWithValues: try daemon.jobs("Y1").map { ($0.rule, $0) })
        let skipped = try #require(byRule["remind"])
        #expect(skipped.state == .skipped)
        #expect(skipped.reason?.contains("was already past at 2024-10-15 17:00:00") == true)
        let sent = try #require(byRule["remind-late"])
        #expect(sent.state == .sent)
        #expect(daemon.sentJobIDs == [sent.id])
        let planned = daemon.logLines.all.first { $0.contains("job=\(sent.id)") && $0.contains("planned") } ?? ""
        #expect(planned.contains("sent now (late: send)"))
        #expect(planned.contains("2024-10-15 15:30:00"))
    }

    @Test func quietHoursAcrossMidnightMoveAReminderToTheWindowsEndInTheShopsZone() throws {
        let daemon = try SchedulerHarness(rules: Self.remind, hookOptions: "quiet_hours: \"21:00-08:00\"")
        defer { daemon.close() }
        // Reminder at 21:30 on the 15th, inside 21:00-08:00: it moves to 08:00 on the 16th, Shanghai time.
        daemon.push(SchedulerHarness.event(id: "q-1", arrival: "2024-10-15 23:30:00"))
        let job = try #require(try daemon.jobs("Y1").first)
        #expect(job.dueAt == SchedulerHarness.shanghai("2024-10-16 08:00:00"))
        #expect(job.dueAt == Date(timeIntervalSince1970: 1_729_036_800))
        #expect(job.reason?.contains("quiet hours of channel hook, moved to 2024-10-16 08:00:00") == true)

        daemon.set("2024-10-16 07:59:59")
        #expect(daemon.settle())
        Thread.sleep(forTimeInterval: 0.1)
        #expect(daemon.sink.requests.isEmpty)
        daemon.set("2024-10-16 08:00:00")
        #expect(daemon.sink.waitForRequests(count: 1))
        #expect(daemon.sentJobIDs == [job.id])
    }

    @Test func aRetryThatWouldFallInsideQuietHoursWaitsForTheirEnd() throws {
        let sink = try FakeHTTPServer(response: ScriptedResponse(status: 503, body: "busy"))
        let daemon = try SchedulerHarness(rules: Self.remind, hookOptions: "quiet_hours: \"21:00-08:00\"", sink: sink)
        defer { daemon.close() }
        // Due 20:59:58; the first send fails and the 5s backoff lands after 21:00.
        daemon.push(SchedulerHarness.event(id: "qr-1", arrival: "2024-10-15 22:59:58"))
        daemon.set("2024-10-15 20:59:58")
        #expect(sink.waitForRequests(count: 1))
        #expect(daemon.settle())
        let job = try #require(try daemon.jobs("Y1").first)
        #expect(job.state == .planned)
        #expect(job.attempts == 1)
        #expect(job.nextAttemptAt == SchedulerHarness.shanghai("2024-10-16 08:00:00"))
    }

    @Test func aLaterEventMovesTheReminderAndAStatus30EventCancelsIt() throws {
        let daemon = try SchedulerHarness(rules: Self.remind)
        defer { daemon.close() }
        daemon.push(SchedulerHarness.event(id: "m-1"))
        let first = try #require(try daemon.jobs("Y1").first)

        daemon.push(SchedulerHarness.event(id: "m-2", arrival: "2024-10-15 19:30:00"))
        var jobs = Dictionary(uniqueKeysWithValues: try daemon.jobs("Y1").map { ($0.id, $0) })
        #expect(jobs.count == 2)
        #expect(jobs[first.id]?.state == .cancelled)
        #expect(jobs[first.id]?.reason?.hasPrefix("time moved from") == true)
        let moved = try #require(jobs.values.first { $0.id != first.id })
        #expect(moved.state == .planned)
        #expect(moved.dueAt == SchedulerHarness.shanghai("2024-10-15 17:30:00"))

        daemon.push(SchedulerHarness.event(id: "m-3", arrival: "2024-10-15 19:30:00", status: 30))
        jobs = Dictionary(uniqueKeysWithValues: try daemon.jobs("Y1").map { ($0.id, $0) })
        #expect(jobs[moved.id]?.state == .cancelled)
        #expect(jobs[moved.id]?.reason?.contains("no longer matches") == true)
        #expect(jobs[moved.id]?.reason?.contains("30") == true)

        // Restored at the same time: the reminder cancelled by the re-plan is planned again, once.
        daemon.push(SchedulerHarness.event(id: "m-4", arrival: "2024-10-15 19:30:00", status: 20))
        #expect(try daemon.store.pendingJobs(orderKey: "Y1").map(\.id) == [moved.id])
        daemon.set("2024-10-15 17:30:00")
        #expect(daemon.sink.waitForRequests(count: 1))
        #expect(daemon.settle())
        Thread.sleep(forTimeInterval: 0.1)
        #expect(daemon.sentJobIDs == [moved.id])
    }

    @Test func theSendTimeRecheckDropsAReminderWhoseBookingWasCancelledAfterPlanning() throws {
        let daemon = try SchedulerHarness(rules: Self.remind)
        defer { daemon.close() }
        daemon.push(SchedulerHarness.event(id: "r-1"))
        let job = try #require(try daemon.jobs("Y1").first)
        // The cancelling event lands in the inbox after planning, as when it races a claim: planning never sees it.
        daemon.set("2024-10-15 13:00:00")
        let cancelling = SchedulerHarness.event(id: "r-2", status: 30)
        let store = daemon.store
        _ = try store.accept(
            InboxEvent(
                id: "r-2", receivedAt: daemon.clock.now(), kind: "appointment.created", orderKey: "Y1", raw: cancelling)
        )
        try store.commitPlan(PlanCommit(eventID: "r-2", newJobs: [], at: daemon.clock.now()))
        #expect(try daemon.jobs("Y1").map(\.state) == [.planned])

        daemon.set("2024-10-15 16:30:00")
        #expect(daemon.settle())
        Thread.sleep(forTimeInterval: 0.1)
        #expect(daemon.sink.requests.isEmpty)
        let dropped = try #require(try daemon.jobs("Y1").first)
        #expect(dropped.id == job.id)
        #expect(dropped.state == .cancelled)
        #expect(dropped.reason?.contains("re-checked at send time on event r-2") == true)
    }
}
