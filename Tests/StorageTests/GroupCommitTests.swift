import Foundation
import Testing

@testable import Storage

@Suite struct SharedWrites {
    let folder = TemporaryFolder()

    @Test func differentWritersShareOneCommitAndAFailingOneIsRolledBackAlone() throws {
        let store = try Store(directory: folder.path)
        let accepted = Results()
        let finishErrors = Results()
        let done = DispatchGroup()
        // Holding the writer lock makes every caller queue up for the same batch.
        store.writerLock.lock()
        for name in ["a", "b"] {
            done.enter()
            Thread {
                accepted.append(Result { () throws(StoreError) in try store.accept(event(name)) })
                done.leave()
            }.start()
        }
        done.enter()
        Thread {
            // No such job: this caller's work fails inside the shared transaction.
            let outcome = Result { () throws(StoreError) -> Store.AcceptResult in
                try store.finish(jobID: "missing", outcome: .sent(detail: nil), at: Date())
                return .stored
            }
            finishErrors.append(outcome)
            done.leave()
        }.start()
        let before = store.commits
        while store.groupCommit.waiting < 3 { usleep(1_000) }
        store.writerLock.unlock()
        done.wait()

        #expect(accepted.all.allSatisfy { (try? $0.get()) == .stored })
        #expect(finishErrors.all.count == 1)
        #expect(throws: StoreError.self) { try finishErrors.all[0].get() }
        #expect(try store.event(id: "a") != nil)
        #expect(try store.event(id: "b") != nil)
        #expect(store.commitCount - before == 1)
    }

    /// Pushes hand their commit over and are told when it is on disk: queued together, they share one commit
    /// with a waiting writer, and each completion sees its own result.
    @Test func handedOverWritesJoinTheNextBatchAndCompleteOnceCommitted() throws {
        let store = try Store(directory: folder.path)
        _ = try store.accept(event("seen"))
        let completed = Collected<(String, Result<Store.AcceptResult, StoreError>)>()
        let done = DispatchGroup()
        store.writerLock.lock()
        for name in (0..<20).map({ "e\($0)" }) + ["seen"] {
            done.enter()
            store.accept(event(name)) { result in
                completed.append((name, result))
                done.leave()
            }
        }
        done.enter()
        Thread {
            _ = try? store.commitPlan(PlanCommit(eventID: nil, newJobs: [newJob("job")], at: time(1)))
            done.leave()
        }.start()
        let before = store.commits
        while store.groupCommit.waiting < 22 { usleep(1_000) }
        #expect(completed.all.isEmpty, "nothing completes before its commit")
        store.writerLock.unlock()
        #expect(done.wait(timeout: .now() + 20) == .success)

        let results = Dictionary(uniqueKeysWithValues: completed.all.map { ($0.0, try? $0.1.get()) })
        #expect(results.count == 21)
        #expect(results["seen"] == .duplicate)
        #expect((0..<20).allSatisfy { results["e\($0)"] == .stored })
        #expect(try store.event(id: "e19") != nil)
        #expect(try store.jobs(orderKey: nil, state: nil, limit: 10).map(\.id) == ["job"])
        #expect(store.commitCount - before == 1)
    }

    @Test func closingCommitsWorkHandedOverFirst() throws {
        let store = try Store(directory: folder.path)
        let completed = Collected<Result<Store.AcceptResult, StoreError>>()
        store.writerLock.lock()
        for index in 0..<5 { store.accept(event("e\(index)")) { completed.append($0) } }
        DispatchQueue.global().asyncAfter(deadline: .now() + 0.1) { store.writerLock.unlock() }
        store.close()
        #expect(completed.all.count == 5)
        #expect(completed.all.allSatisfy { (try? $0.get()) == .stored })

        let reopened = try Store(directory: folder.path)
        #expect(try reopened.event(id: "e4") != nil)
        let refused = Collected<Result<Store.AcceptResult, StoreError>>()
        reopened.close()
        reopened.accept(event("late")) { refused.append($0) }
        #expect(refused.all.count == 1)
        #expect(throws: StoreError.self) { try refused.all.first?.get() }
    }
}
