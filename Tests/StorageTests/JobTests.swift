import Foundation
import Testing

@testable import Storage

@Suite struct Jobs {
    let folder = TemporaryFolder()

    @Test func aJobKeyIsCreatedOnlyOnceWhateverItsState() throws {
        let store = try Store(directory: folder.path)
        try store.commitPlan(
            PlanCommit(eventID: nil, newJobs: [newJob("j1", key: "k"), newJob("j2", key: "k")], at: time(1)))
        #expect(try store.jobs(orderKey: nil, state: nil, limit: 10).map(\.id) == ["j1"])

        try store.finish(jobID: "j1", outcome: .failed(reason: "bad number"), at: time(2))
        try store.commitPlan(PlanCommit(eventID: nil, newJobs: [newJob("j3", key: "k")], at: time(3)))
        #expect(try store.jobs(orderKey: nil, state: nil, limit: 10).map(\.id) == ["j1"])
    }

    @Test func aCommittedPlanStoresEveryFieldOfItsJobs() throws {
        let store = try Store(directory: folder.path)
        let skipped = newJob("j2", order: nil, due: 7_000, state: .skipped, reason: "quiet hours")
        try store.commitPlan(PlanCommit(eventID: nil, newJobs: [newJob("j1"), skipped], at: time(500)))
        let expected = Job(
            id: "j2", key: skipped.key, rule: "reminder", entry: 0, channel: "wecom", orderKey: nil, eventID: "e1",
            dueAt: time(7_000), state: .skipped, attempts: 0, nextAttemptAt: nil, reason: "quiet hours",
            payload: Array("j2".utf8), createdAt: time(500), updatedAt: time(500), sentAt: nil)
        #expect(try store.jobs(orderKey: nil, state: .skipped, limit: 10) == [expected])
        #expect(try store.nextDueTime() == time(10_000))
    }

    @Test func aPlanCancelsAndReschedulesOnlyJobsStillPlanned() throws {
        let store = try Store(directory: folder.path)
        try store.commitPlan(PlanCommit(eventID: nil, newJobs: [newJob("a"), newJob("b"), newJob("c")], at: time(1)))
        _ = try store.claimDue(now: time(10_000), limit: 1)

        try store.commitPlan(
            PlanCommit(
                eventID: nil, newJobs: [], cancel: [(jobID: "a", reason: "sending already"), ("b", "time changed")],
                reschedule: [(jobID: "c", dueAt: time(20_000))], at: time(2)))
        let byID = Dictionary(
            uniqueKeysWithValues: try store.jobs(orderKey: "A1", state: nil, limit: 10).map {
                ($0.id, $0)
            })
        #expect(byID["a"]?.state == .sending)
        #expect(byID["b"]?.state == .cancelled)
        #expect(byID["b"]?.reason == "time changed")
        #expect(byID["c"]?.dueAt == time(20_000))
        #expect(try store.pendingJobs(orderKey: "A1").map(\.id) == ["c"])
        #expect(try store.nextDueTime() == time(20_000))
    }

    @Test func claimingTakesOnlyDueJobsInDueOrderAndMarksThemSending() throws {
        let store = try Store(directory: folder.path)
        let jobs = [newJob("late", due: 3_000), newJob("future", due: 9_000), newJob("early", due: 1_000)]
        try store.commitPlan(PlanCommit(eventID: nil, newJobs: jobs + [newJob("mid", due: 2_000)], at: time(1)))

        let claimed = try store.claimDue(now: time(3_000), limit: 2)
        #expect(claimed.map(\.id) == ["early", "mid"])
        #expect(claimed.allSatisfy { $0.state == .sending && $0.attempts == 1 })
        #expect(try store.jobs(orderKey: nil, state: .sending, limit: 10) == claimed)
        #expect(try store.claimDue(now: time(3_000), limit: 10).map(\.id) == ["late"])
        #expect(try store.claimDue(now: time(3_000), limit: 10).isEmpty)
        #expect(try store.nextDueTime() == time(9_000))
    }

    @Test func aPlanClaimsUpToItsLimitOfTheJobsItMakesDueAndStoresThemAsClaimDueWould() throws {
        let store = try Store(directory: folder.path)
        var plan = PlanCommit(
            eventID: nil,
            newJobs: [newJob("now1", due: 5_000), newJob("later", due: 9_000), newJob("now2", due: 4_000)],
            at: time(5_000))
        let claim = InlineClaim(limit: 1)
        plan.claim = claim
        try store.commitPlan(plan)

        #expect(claim.jobs.map(\.id) == ["now1"])
        #expect(try store.jobs(orderKey: nil, state: .sending, limit: 10) == claim.jobs)
        #expect(claim.jobs.allSatisfy { $0.state == .sending && $0.attempts == 1 && $0.updatedAt == time(5_000) })
        // The one left over goes to the scheduler as before; the claimed one is not claimed again.
        #expect(try store.claimDue(now: time(5_000), limit: 10).map(\.id) == ["now2"])
        try store.finish(jobID: "now1", outcome: .sent(detail: nil), at: time(5_500))
        #expect(try store.attempts(jobID: "now1").map(\.number) == [1])
        #expect(try store.attempts(jobID: "now1").map(\.durationMs) == [500])
    }

    @Test func aPlanClaimsNothingWhileAnEarlierJobIsDueAndNoKeyThatMayNotBePlannedAgain() throws {
        let store = try Store(directory: folder.path)
        try store.commitPlan(PlanCommit(eventID: nil, newJobs: [newJob("waiting", key: "w", due: 1_000)], at: time(1)))
        var plan = PlanCommit(eventID: nil, newJobs: [newJob("fresh", due: 2_000)], at: time(2_000))
        plan.claim = InlineClaim(limit: 4)
        try store.commitPlan(plan)
        #expect(plan.claim?.jobs.isEmpty == true)
        #expect(try store.claimDue(now: time(2_000), limit: 10).map(\.id) == ["waiting", "fresh"])
        try store.finish(jobID: "waiting", outcome: .sent(detail: nil), at: time(2_001))

        // A key already sent is not planned again, so not claimed; a key an earlier plan cancelled is planned
        // again under its old id, and claimed so.
        try store.commitPlan(PlanCommit(eventID: nil, newJobs: [newJob("gone", key: "g", due: 9_000)], at: time(3)))
        try store.commitPlan(PlanCommit(eventID: nil, newJobs: [], cancel: [("gone", "moved")], at: time(4)))
        try store.finish(jobID: "fresh", outcome: .sent(detail: nil), at: time(2_002))
        plan = PlanCommit(
            eventID: nil, newJobs: [newJob("again", key: "w", due: 3_000), newJob("back", key: "g", due: 3_000)],
            at: time(3_000))
        plan.claim = InlineClaim(limit: 4)
        try store.commitPlan(plan)
        #expect(plan.claim?.jobs.map(\.id) == ["gone"])
        #expect(plan.claim?.jobs.first?.state == .sending)
        #expect(try store.jobs(orderKey: nil, state: .sent, limit: 10).map(\.id) == ["waiting", "fresh"])
    }

    @Test func dueLookupsUseThePartialIndexRatherThanAScan() throws {
        let store = try Store(directory: folder.path)
        let next = try store.queryPlan(Store.nextDueSQL)
        let claim = try store.queryPlan(Store.claimDueSQL)
        #expect(next.contains("jobs_due"), "\(next)")
        #expect(claim.contains("jobs_due") && !claim.contains("TEMP B-TREE"), "\(claim)")
    }

    @Test func oneAppointmentsJobsAreFoundByItsIndexNotAmongEveryPlannedJob() throws {
        let store = try Store(directory: folder.path)
        for sql in [Store.pendingJobsSQL, Store.cancelByOrderSQL] {
            let plan = try store.queryPlan(sql)
            #expect(plan.contains("jobs_by_order") && !plan.contains("jobs_by_state"), "\(plan)")
        }
    }

    @Test func finishingRecordsTheAttemptAndTheJobsNewState() throws {
        let store = try Store(directory: folder.path)
        try store.commitPlan(PlanCommit(eventID: nil, newJobs: [newJob("ok"), newJob("bad")], at: time(1)))
        _ = try store.claimDue(now: time(10_000), limit: 10)
        try store.finish(jobID: "ok", outcome: .sent(detail: "msgid 42"), at: time(10_250))
        try store.finish(jobID: "bad", outcome: .failed(reason: "invalid phone"), at: time(10_100))

        let sent = try #require(try store.jobs(orderKey: nil, state: .sent, limit: 10).first)
        #expect(sent.id == "ok" && sent.sentAt == time(10_250) && sent.reason == nil)
        let failed = try #require(try store.jobs(orderKey: nil, state: .failed, limit: 10).first)
        #expect(failed.id == "bad" && failed.reason == "invalid phone" && failed.sentAt == nil)
        #expect(
            try store.attempts(jobID: "ok") == [
                Attempt(jobID: "ok", number: 1, at: time(10_250), outcome: "sent", reason: "msgid 42", durationMs: 250)
            ])
        #expect(try store.attempts(jobID: "bad").map(\.outcome) == ["failed"])
        #expect(throws: StoreError.self) { try store.finish(jobID: "nope", outcome: .sent(detail: nil), at: time(1)) }
    }

    /// The form a sender awaits: the same rows, and the completion comes once they are stored (or with the error).
    @Test func finishingWithACompletionRecordsTheResultBeforeItCompletes() throws {
        let store = try Store(directory: folder.path)
        try store.commitPlan(PlanCommit(eventID: nil, newJobs: [newJob("ok")], at: time(1)))
        _ = try store.claimDue(now: time(10_000), limit: 10)
        let results = Collected<(StoreError?, [JobState])>()
        let done = DispatchSemaphore(value: 0)
        for id in ["ok", "nope"] {
            store.finish(jobID: id, outcome: .sent(detail: "msgid 42"), at: time(10_250)) { failure in
                let states = (try? store.jobs(orderKey: nil, state: nil, limit: 10).map(\.state)) ?? []
                results.append((failure, states))
                done.signal()
            }
            #expect(done.wait(timeout: .now() + 10) == .success)
        }
        let (okFailure, okStates) = try #require(results.all.first)
        #expect(okFailure == nil)
        #expect(okStates == [.sent], "stored before the completion")
        #expect(try store.attempts(jobID: "ok").map(\.outcome) == ["sent"])
        #expect(results.all.last?.0?.description.contains("there is no such job") == true)
    }

    @Test func aRetryMovesTheRunTimeAndTheJobIsClaimedAgainThen() throws {
        let store = try Store(directory: folder.path)
        try store.commitPlan(PlanCommit(eventID: nil, newJobs: [newJob("j", due: 1_000)], at: time(1)))
        _ = try store.claimDue(now: time(1_000), limit: 1)
        try store.finish(jobID: "j", outcome: .retry(reason: "HTTP 503", at: time(61_000)), at: time(1_100))

        let job = try #require(try store.pendingJobs(orderKey: "A1").first)
        #expect(job.state == .planned && job.nextAttemptAt == time(61_000) && job.dueAt == time(1_000))
        #expect(job.reason == "HTTP 503")
        #expect(try store.nextDueTime() == time(61_000))
        #expect(try store.claimDue(now: time(60_999), limit: 1).isEmpty)

        let again = try store.claimDue(now: time(61_000), limit: 1)
        #expect(again.map(\.attempts) == [2])
        try store.finish(jobID: "j", outcome: .sent(detail: nil), at: time(61_010))
        #expect(try store.attempts(jobID: "j").map(\.outcome) == ["retry", "sent"])
        #expect(try store.attempts(jobID: "j").map(\.number) == [1, 2])
    }

    @Test func recoveryPutsJobsLeftSendingBackToPlanned() throws {
        do {
            let store = try Store(directory: folder.path)
            try store.commitPlan(
                PlanCommit(eventID: nil, newJobs: [newJob("a"), newJob("b", due: 99_000)], at: time(1)))
            _ = try store.claimDue(now: time(10_000), limit: 10)
            store.close()
        }
        let store = try Store(directory: folder.path)
        #expect(try store.recoverInterrupted() == 1)
        #expect(try store.recoverInterrupted() == 0)
        #expect(try store.countsByState()[.sending] == 0)
        let claimed = try store.claimDue(now: time(10_000), limit: 10)
        #expect(claimed.map(\.id) == ["a"])
        #expect(claimed.first?.attempts == 2)
        #expect(try store.attempts(jobID: "a").map(\.outcome) == ["interrupted"])
    }

    @Test func cancellingAnAppointmentCancelsOnlyItsPendingJobs() throws {
        let store = try Store(directory: folder.path)
        let jobs = [newJob("a1"), newJob("a2", due: 50_000), newJob("b1", order: "B2")]
        try store.commitPlan(PlanCommit(eventID: nil, newJobs: jobs, at: time(1)))
        _ = try store.claimDue(now: time(10_000), limit: 1)

        #expect(try store.cancel(orderKey: "A1", reason: "operator", at: time(20_000)) == 1)
        let cancelled = try store.jobs(orderKey: "A1", state: .cancelled, limit: 10)
        #expect(cancelled.map(\.id) == ["a2"])
        #expect(cancelled.first?.reason == "operator" && cancelled.first?.updatedAt == time(20_000))
        #expect(try store.pendingJobs(orderKey: "B2").map(\.id) == ["b1"])
    }

    @Test func retryingFailedJobsMakesThemDueNowAndKeepsTheirAttempts() throws {
        let store = try Store(directory: folder.path)
        try store.commitPlan(PlanCommit(eventID: nil, newJobs: [newJob("f"), newJob("s")], at: time(1)))
        _ = try store.claimDue(now: time(10_000), limit: 10)
        try store.finish(jobID: "f", outcome: .failed(reason: "HTTP 400"), at: time(10_001))
        try store.finish(jobID: "s", outcome: .sent(detail: nil), at: time(10_001))

        #expect(try store.retryFailed(at: time(50_000)) == 1)
        let job = try #require(try store.pendingJobs(orderKey: "A1").first)
        #expect(job.id == "f" && job.attempts == 1 && job.nextAttemptAt == time(50_000))
        #expect(try store.nextDueTime() == time(50_000))
        let counts = try store.countsByState()
        #expect(counts[.planned] == 1 && counts[.sent] == 1 && counts[.failed] == 0 && counts.count == 7)
    }
}
