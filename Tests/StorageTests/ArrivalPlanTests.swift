import Foundation
import Testing

@testable import Storage

/// `accept(_:planning:completion:)`: an event stored together with its plan, or left to the planner.
@Suite struct AcceptWithPlan {
    let folder = TemporaryFolder()

    /// Accepts `inbox` with `plan` and waits for the result; `seen` gets the pending jobs `plan` was given.
    private func accept(
        _ store: Store, _ inbox: InboxEvent, seen: Collected<[String]> = Collected(),
        plan: @escaping ([Job]) -> PlanCommit?
    ) -> Result<Store.AcceptResult, StoreError> {
        let done = DispatchSemaphore(value: 0)
        let result = Collected<Result<Store.AcceptResult, StoreError>>()
        store.accept(
            inbox,
            planning: { pending in
                seen.append(pending.map(\.id))
                return plan(pending)
            },
            completion: { outcome in
                result.append(outcome)
                done.signal()
            })
        done.wait()
        return result.all[0]
    }

    private func plan(_ jobs: NewJob..., cancel: [(jobID: String, reason: String)] = []) -> PlanCommit {
        PlanCommit(eventID: nil, newJobs: jobs, cancel: cancel, at: time(2_000))
    }

    @Test func theEventAndItsJobsAreStoredInOneCommitAndNothingWaitsForThePlanner() throws {
        let store = try Store(directory: folder.path)
        let before = store.commitCount
        let result = accept(store, event("e1", order: "A1")) { _ in plan(newJob("j1", order: "A1")) }

        #expect(try result.get() == .planned)
        #expect(store.commitCount - before == 1)
        #expect(try store.event(id: "e1") != nil)
        #expect(try store.pendingJobs(orderKey: "A1").map(\.id) == ["j1"])
        #expect(try store.unplannedEvents(limit: 10).isEmpty)
    }

    @Test func thePlanIsGivenTheAppointmentsPlannedJobsAndMayCancelThem() throws {
        let store = try Store(directory: folder.path)
        try store.commitPlan(PlanCommit(eventID: nil, newJobs: [newJob("old", order: "A1")], at: time(1_000)))
        try store.commitPlan(PlanCommit(eventID: nil, newJobs: [newJob("other", order: "B2")], at: time(1_000)))
        let seen = Collected<[String]>()

        let result = accept(store, event("e2", order: "A1"), seen: seen) { _ in
            plan(newJob("new", order: "A1"), cancel: [(jobID: "old", reason: "moved")])
        }

        #expect(try result.get() == .planned)
        #expect(seen.all == [["old"]])
        #expect(try store.pendingJobs(orderKey: "A1").map(\.id) == ["new"])
        #expect(try store.jobs(orderKey: "A1", state: .cancelled, limit: 10).map(\.reason) == ["moved"])
        #expect(try store.pendingJobs(orderKey: "B2").map(\.id) == ["other"])
    }

    @Test func anEventIsLeftToThePlannerWhileOthersWaitForIt() throws {
        let store = try Store(directory: folder.path)
        _ = try store.accept(event("waiting", order: "A1", at: 1_000))
        let seen = Collected<[String]>()

        let result = accept(store, event("next", order: "B2", at: 2_000), seen: seen) { _ in
            plan(newJob("j1", order: "B2"))
        }

        #expect(try result.get() == .stored)
        #expect(seen.all.isEmpty, "the plan must not be made ahead of an earlier event")
        #expect(try store.unplannedEvents(limit: 10).map(\.id) == ["waiting", "next"])
        #expect(try store.allPendingJobs().isEmpty)
    }

    @Test func aPlanDeclinedByItsMakerLeavesTheEventToThePlanner() throws {
        let store = try Store(directory: folder.path)
        let result = accept(store, event("e1")) { _ in nil }

        #expect(try result.get() == .stored)
        #expect(try store.unplannedEvents(limit: 10).map(\.id) == ["e1"])
    }

    @Test func aPlanThatCannotBeStoredLeavesTheEventStoredForThePlanner() throws {
        let store = try Store(directory: folder.path)
        // Two jobs with one id: the second insert breaks the primary key, after the first was written.
        let result = accept(store, event("e1", order: "A1")) { _ in
            plan(newJob("j1", key: "k1", order: "A1"), newJob("j1", key: "k2", order: "A1"))
        }

        #expect(try result.get() == .stored)
        #expect(try store.event(id: "e1") != nil)
        #expect(try store.unplannedEvents(limit: 10).map(\.id) == ["e1"])
        #expect(try store.allPendingJobs().isEmpty, "none of the failed plan may stay")
    }

    @Test func aPlanWithAJobThatCannotBeNewLeavesTheEventToThePlanner() throws {
        let store = try Store(directory: folder.path)
        let result = accept(store, event("e1", order: "A1")) { _ in
            plan(newJob("j1", order: "A1", state: .sent))
        }

        #expect(try result.get() == .stored)
        #expect(try store.unplannedEvents(limit: 10).map(\.id) == ["e1"])
        #expect(try store.jobs(orderKey: "A1", state: nil, limit: 10).isEmpty)
    }

    /// Works share a transaction without savepoints until one fails; then the batch is written again, each work
    /// in a savepoint, so the failing one leaves nothing and the plan before it is made a second time.
    @Test func aFailingWorkInTheBatchHasThePlanBeforeItMadeAgainAndStored() throws {
        let store = try Store(directory: folder.path)
        let seen = Collected<String>()
        let results = Collected<(String, Result<Store.AcceptResult, StoreError>)>()
        let finished = Collected<StoreError?>()
        let done = DispatchGroup()
        func acceptPlanned(_ name: String, order: String) {
            done.enter()
            store.accept(
                event(name, order: order),
                planning: { _ in
                    seen.append(name)
                    return PlanCommit(eventID: nil, newJobs: [newJob("j-\(name)", order: order)], at: time(2_000))
                },
                completion: { result in
                    results.append((name, result))
                    done.leave()
                })
        }
        store.writerLock.lock()
        acceptPlanned("e1", order: "A1")
        done.enter()
        // No such job: this work fails, after e1 was written without a savepoint.
        store.finish(jobID: "missing", outcome: .sent(detail: nil), at: time(2_000)) { failure in
            finished.append(failure)
            done.leave()
        }
        acceptPlanned("e3", order: "C3")
        while store.groupCommit.waiting < 3 { usleep(1_000) }
        let before = store.commits
        store.writerLock.unlock()
        #expect(done.wait(timeout: .now() + 20) == .success)

        let outcome = Dictionary(uniqueKeysWithValues: results.all.map { ($0.0, try? $0.1.get()) })
        #expect(outcome == ["e1": .planned, "e3": .planned])
        #expect(finished.all.count == 1 && finished.all[0] != nil)
        #expect(seen.all == ["e1", "e1", "e3"])
        #expect(store.commitCount - before == 1)
        #expect(try store.pendingJobs(orderKey: "A1").map(\.id) == ["j-e1"])
        #expect(try store.pendingJobs(orderKey: "C3").map(\.id) == ["j-e3"])
        #expect(try store.unplannedEvents(limit: 10).isEmpty)
    }

    @Test func aDuplicateIsNotPlannedAgain() throws {
        let store = try Store(directory: folder.path)
        _ = accept(store, event("e1", order: "A1")) { _ in plan(newJob("j1", order: "A1")) }
        let seen = Collected<[String]>()

        let result = accept(store, event("e1", order: "A1"), seen: seen) { _ in plan(newJob("j2", order: "A1")) }

        #expect(try result.get() == .duplicate)
        #expect(seen.all.isEmpty)
        #expect(try store.pendingJobs(orderKey: "A1").map(\.id) == ["j1"])
    }

    @Test func aStoreThatRefusesWritesAnswersWithTheErrorAndStoresNothing() throws {
        let store = try Store(directory: folder.path)
        try store.executeOnWriter("PRAGMA query_only = 1")
        let result = accept(store, event("e1", order: "A1")) { _ in plan(newJob("j1", order: "A1")) }
        try store.executeOnWriter("PRAGMA query_only = 0")

        #expect(throws: StoreError.self) { try result.get() }
        #expect(try store.event(id: "e1") == nil)
        #expect(try store.allPendingJobs().isEmpty)
    }
}
