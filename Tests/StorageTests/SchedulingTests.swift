import Foundation
import Testing

@testable import Storage

/// The store's side of scheduling: reviving re-planned jobs, postponing a claim, paging appointments.
@Suite struct Scheduling {
    let folder = TemporaryFolder()

    @Test func aJobCancelledByARePlanIsPlannedAgainUnderItsOldIdButAnOperatorsCancelSticks() throws {
        let store = try Store(directory: folder.path)
        try store.commitPlan(
            PlanCommit(
                eventID: nil, newJobs: [newJob("a", key: "ka"), newJob("b", key: "kb", order: "B1")], at: time(1)))
        try store.commitPlan(PlanCommit(eventID: nil, newJobs: [], cancel: [("a", "time moved")], at: time(2)))
        #expect(try store.cancel(orderKey: "B1", reason: "operator", at: time(3)) == 1)

        let again = [newJob("a2", key: "ka", due: 20_000), newJob("b2", key: "kb", order: "B1")]
        try store.commitPlan(PlanCommit(eventID: nil, newJobs: again, at: time(4)))
        let revived = try #require(try store.jobs(orderKey: "A1", state: nil, limit: 10).first)
        #expect(revived.id == "a")
        #expect(revived.state == .planned)
        #expect(revived.dueAt == time(20_000))
        #expect(try store.nextDueTime() == time(20_000))
        #expect(try store.jobs(orderKey: "B1", state: nil, limit: 10).map(\.state) == [.cancelled])
    }

    @Test func aSentJobIsNeverPlannedAgain() throws {
        let store = try Store(directory: folder.path)
        try store.commitPlan(PlanCommit(eventID: nil, newJobs: [newJob("a", key: "k")], at: time(1)))
        _ = try store.claimDue(now: time(10_000), limit: 1)
        try store.finish(jobID: "a", outcome: .sent(detail: nil), at: time(10_001))
        try store.commitPlan(PlanCommit(eventID: nil, newJobs: [newJob("a2", key: "k", due: 30_000)], at: time(2)))
        #expect(try store.jobs(orderKey: nil, state: nil, limit: 10).map(\.state) == [.sent])
        #expect(try store.nextDueTime() == nil)
    }

    @Test func postponingAClaimPutsItBackWithoutCountingAnAttempt() throws {
        let store = try Store(directory: folder.path)
        try store.commitPlan(PlanCommit(eventID: nil, newJobs: [newJob("a")], at: time(1)))
        _ = try store.claimDue(now: time(10_000), limit: 1)
        #expect(try store.postpone(jobID: "a", until: time(50_000), reason: "quiet", at: time(10_001)))
        let job = try #require(try store.jobs(orderKey: nil, state: nil, limit: 1).first)
        #expect(job.state == .planned)
        #expect(job.attempts == 0)
        #expect(job.nextAttemptAt == time(50_000))
        #expect(try store.nextDueTime() == time(50_000))
        #expect(try store.postpone(jobID: "a", until: time(60_000), reason: "quiet", at: time(10_002)) == false)
    }

    @Test func pendingAppointmentsArePagedInKeyOrder() throws {
        let store = try Store(directory: folder.path)
        let jobs =
            ["C", "A", "B", "D"].map { (order: String) in newJob("j" + order, order: order) } + [
                newJob("j2A", order: "A")
            ]
        try store.commitPlan(PlanCommit(eventID: nil, newJobs: jobs, at: time(1)))
        _ = try store.cancel(orderKey: "D", reason: "operator", at: time(2))
        #expect(try store.pendingOrderKeys(after: nil, limit: 2) == ["A", "B"])
        #expect(try store.pendingOrderKeys(after: "B", limit: 2) == ["C"])
    }

    @Test func findingTheNextDueTimeAndClaimingUseThePartialIndex() throws {
        let store = try Store(directory: folder.path)
        #expect(try store.queryPlan(Store.nextDueSQL).contains("jobs_due"))
        #expect(try store.queryPlan(Store.claimDueSQL.replacingOccurrences(of: "?", with: "1")).contains("jobs_due"))
    }
}
