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
}
