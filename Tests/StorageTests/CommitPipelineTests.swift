import CSQLite
import Foundation
import Testing

@testable import Storage

/// The group commit's order of steps, with the writer's steps recorded instead of run: a batch is answered only
/// once the sync after its commit has returned, and the next batch runs meanwhile but commits after that sync.
@Suite struct CommitPipeline {
    /// Steps that log what they are asked to do; `sync` waits for the test to open `gate` (once per sync).
    final class Steps: @unchecked Sendable {
        let log = Collected<String>()
        let gate = DispatchSemaphore(value: 0)
        let syncing = DispatchSemaphore(value: 0)
        var syncFailure: StoreError?
        /// Works that fail, in a savepoint or not.
        var failing: Set<String> = []

        var steps: GroupCommit.Steps {
            GroupCommit.Steps(
                begin: { [log] in
                    log.append("begin")
                    return nil
                },
                run: { [self] work, guarded in
                    log.append("run \(work.operation)" + (guarded ? " guarded" : ""))
                    guard failing.contains(work.operation) else { return true }
                    work.failure = StoreError(operation: work.operation, code: 0, message: "refused")
                    return guarded
                },
                restart: { [log] in
                    log.append("restart")
                    return nil
                },
                end: { [log] in
                    log.append("commit")
                    return nil
                },
                sync: { [self] in
                    log.append("sync")
                    syncing.signal()
                    gate.wait()
                    return syncFailure
                })
        }
    }

    /// Hands over work named `name` whose completion appends "answered <name>" to `log`.
    func hand(_ name: String, to commit: GroupCommit, log: Collected<String>, answered: DispatchSemaphore) {
        commit.hand(
            GroupCommit.Work(operation: name, run: { _ throws(StoreError) in }) { failure in
                log.append("answered \(name)" + (failure.map { ": \($0)" } ?? ""))
                answered.signal()
            })
    }

    /// A group commit on fake steps, with one work `a` handed over and its sync under way (held at the gate).
    func startWithFirstSyncHeld() -> (Steps, GroupCommit, answered: DispatchSemaphore) {
        let fake = Steps()
        let commit = GroupCommit(lock: NSLock(), steps: fake.steps)
        let answered = DispatchSemaphore(value: 0)
        hand("a", to: commit, log: fake.log, answered: answered)
        #expect(fake.syncing.wait(timeout: .now() + 5) == .success)
        return (fake, commit, answered)
    }

    /// Waits up to 5 s until `log` holds `entry`.
    func waitFor(_ entry: String, in log: Collected<String>) -> Bool {
        let deadline = Date() + 5
        while !log.all.contains(entry) && Date() < deadline { usleep(1_000) }
        return log.all.contains(entry)
    }

    @Test func aBatchIsAnsweredOnlyOnceTheSyncAfterItsCommitHasReturned() {
        let (fake, commit, answered) = startWithFirstSyncHeld()
        usleep(50_000)
        #expect(fake.log.all == ["begin", "run a", "commit", "sync"], "nothing is answered before the sync returns")

        fake.gate.signal()
        #expect(answered.wait(timeout: .now() + 5) == .success)
        #expect(fake.log.all == ["begin", "run a", "commit", "sync", "answered a"])
        commit.stop()
    }

    @Test func theNextBatchRunsWhileTheLastIsSyncedAndCommitsOnlyAfterIt() {
        let (fake, commit, answered) = startWithFirstSyncHeld()
        // While a's sync waits for the disk, b and c arrive one after the other: both run in the open batch.
        hand("b", to: commit, log: fake.log, answered: answered)
        #expect(waitFor("run b", in: fake.log))
        hand("c", to: commit, log: fake.log, answered: answered)
        #expect(waitFor("run c", in: fake.log))
        usleep(50_000)
        #expect(fake.log.all == ["begin", "run a", "commit", "sync", "begin", "run b", "run c"])

        fake.gate.signal()
        #expect(fake.syncing.wait(timeout: .now() + 5) == .success)
        let afterFirstSync = fake.log.all
        #expect(afterFirstSync.contains("answered a"))
        #expect(!afterFirstSync.contains("answered b") && !afterFirstSync.contains("answered c"))
        #expect(afterFirstSync.filter { $0 == "commit" }.count == 2)
        #expect(afterFirstSync.firstIndex(of: "answered a")! > afterFirstSync.firstIndex(of: "sync")!)

        fake.gate.signal()
        // a, b and c: three answers in all.
        for _ in 0..<3 { #expect(answered.wait(timeout: .now() + 5) == .success) }
        let all = fake.log.all
        #expect(all.filter { $0 == "sync" }.count == 2, "one sync for each batch: \(all)")
        #expect(Set(all.suffix(2)) == ["answered b", "answered c"])
        commit.stop()
    }

    /// Works run without savepoints until one fails; then the batch is written again from its start with a
    /// savepoint a work, and the rest of it too, and only the failing one fails.
    @Test func aFailingWorkHasTheBatchWrittenAgainWithASavepointAWork() {
        let fake = Steps()
        fake.failing = ["b"]
        let lock = NSLock()
        let commit = GroupCommit(lock: lock, steps: fake.steps)
        let answered = DispatchSemaphore(value: 0)
        lock.lock()
        for name in ["a", "b", "c"] { hand(name, to: commit, log: fake.log, answered: answered) }
        while commit.waiting < 3 { usleep(1_000) }
        lock.unlock()
        fake.gate.signal()
        for _ in 0..<3 { #expect(answered.wait(timeout: .now() + 5) == .success) }
        #expect(
            fake.log.all == [
                "begin", "run a", "run b", "restart", "run a guarded", "run b guarded", "run c guarded", "commit",
                "sync", "answered a", "answered b: storage: b failed: refused", "answered c",
            ])
        commit.stop()
    }

    @Test func aWaitingCallerReturnsOnlyOnceItsBatchIsSynced() {
        let fake = Steps()
        let commit = GroupCommit(lock: NSLock(), steps: fake.steps)
        let returned = DispatchSemaphore(value: 0)
        Thread {
            commit.submit(GroupCommit.Work(operation: "w", run: { _ throws(StoreError) in }))
            fake.log.append("returned")
            returned.signal()
        }.start()
        #expect(fake.syncing.wait(timeout: .now() + 5) == .success)
        #expect(returned.wait(timeout: .now() + 0.1) == .timedOut)
        fake.gate.signal()
        #expect(returned.wait(timeout: .now() + 5) == .success)
        #expect(fake.log.all == ["begin", "run w", "commit", "sync", "returned"])
        commit.stop()
    }

    @Test func aSyncThatFailsFailsEveryWorkOfItsBatchUnderItsOwnName() {
        let fake = Steps()
        fake.syncFailure = StoreError(operation: "sync the log", code: SQLITE_IOERR, message: "Input/output error")
        let commit = GroupCommit(lock: NSLock(), steps: fake.steps)
        let answered = DispatchSemaphore(value: 0)
        hand("accept", to: commit, log: fake.log, answered: answered)
        fake.gate.signal()
        #expect(answered.wait(timeout: .now() + 5) == .success)
        #expect(
            fake.log.all.last == "answered accept: storage: accept failed: Input/output error (SQLite code 10)")
        commit.stop()
    }

    @Test func stoppingWritesSyncsAndAnswersWhatIsQueued() {
        let fake = Steps()
        let commit = GroupCommit(lock: NSLock(), steps: fake.steps)
        let answered = DispatchSemaphore(value: 0)
        for name in ["a", "b", "c"] { hand(name, to: commit, log: fake.log, answered: answered) }
        // Every sync may go through at once.
        for _ in 0..<3 { fake.gate.signal() }
        commit.stop()
        let all = fake.log.all
        #expect(Set(all.filter { $0.hasPrefix("answered") }) == ["answered a", "answered b", "answered c"])
        #expect(all.last?.hasPrefix("answered") == true)
        #expect(all.filter { $0 == "commit" }.count == all.filter { $0 == "sync" }.count)
    }
}

/// The log's own descriptor: it follows a replaced file, and reports what it cannot do.
@Suite struct LogSyncing {
    let folder = TemporaryFolder()

    @Test func itSyncsTheLogAndFollowsAReplacedFile() throws {
        try FileManager.default.createDirectory(atPath: folder.path, withIntermediateDirectories: true)
        let database = folder.path + "/db.sqlite"
        try Data("one".utf8).write(to: URL(fileURLWithPath: database + "-wal"))
        let sync = try LogSync(databasePath: database)
        #expect(sync.sync() == nil)
        try FileManager.default.removeItem(atPath: database + "-wal")
        try Data("two".utf8).write(to: URL(fileURLWithPath: database + "-wal"))
        #expect(sync.sync() == nil)
        sync.close()
        #expect(sync.sync()?.description == "storage: sync the log failed: the store is closed (SQLite code 21)")
    }

    @Test func aMissingLogIsAClearError() {
        #expect {
            _ = try LogSync(databasePath: folder.path + "/none.sqlite")
        } throws: { error in
            "\(error)".contains("open the log \(folder.path)/none.sqlite-wal")
                && "\(error)".contains("No such file or directory")
        }
    }
}
