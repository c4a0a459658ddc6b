import CSQLite
import Foundation
import Testing

@testable import Storage

@Suite struct StoreFile {
    let folder = TemporaryFolder()

    /// The checkpointer sleeps while nothing is committed, and a lone commit after that still reaches the
    /// database file (within a second), not only the log.
    @Test func aLoneCommitAfterAnIdleSpellIsCopiedIntoTheDatabaseFile() throws {
        let store = try Store(directory: folder.path)
        defer { store.close() }
        let path = folder.path + "/" + Store.fileName
        func size() -> Int { ((try? FileManager.default.attributesOfItem(atPath: path))?[.size] as? Int) ?? 0 }
        Thread.sleep(forTimeInterval: 0.2)
        let before = size()

        _ = try store.accept(event("big", raw: String(repeating: "x", count: 200_000)))

        let deadline = Date() + 5
        while size() < before + 200_000 && Date() < deadline { Thread.sleep(forTimeInterval: 0.02) }
        #expect(size() >= before + 200_000, "file \(size()) bytes, \(before) before")
    }

    /// A new file is made at the latest version and an up-to-date one left alone: neither is an upgrade.
    @Test func migrationsRunOnceAcrossOpens() throws {
        var upgrades = 0
        let first = try Store(directory: folder.path) { _, _ in upgrades += 1 }
        #expect(first.migrationsApplied == Schema.migrations.count)
        first.close()
        let second = try Store(directory: folder.path) { _, _ in upgrades += 1 }
        #expect(second.migrationsApplied == 0)
        #expect(upgrades == 0)
        #expect(try second.schemaVersion() == Schema.migrations.count)
    }

    /// Writes the store file as schema version `version` left it, then `rows` (SQL) into it.
    private func writeOldFile(version: Int, _ rows: String) throws {
        try FileManager.default.createDirectory(atPath: folder.path, withIntermediateDirectories: true)
        let old = try Connection(path: folder.path + "/" + Store.fileName, create: true)
        defer { old.close() }
        try old.execute(Schema.migrations[0..<version].joined(), operation: "test")
        try old.execute("PRAGMA user_version = \(version)", operation: "test")
        try old.execute(rows, operation: "test")
    }

    @Test func eventsAwaitingPlanningInAVersionTwoFileAreStillPlannedAfterTheUpgrade() throws {
        // One event planned, one not.
        try writeOldFile(
            version: 2,
            """
            INSERT INTO inbox (id, received_at, kind, order_key, raw, planned) VALUES
                ('done', 1000, 'k', 'A', x'7b7d', 1), ('waiting', 2000, 'k', 'B', x'7b7d', 0)
            """)
        let store = try Store(directory: folder.path)
        #expect(try store.schemaVersion() == Schema.migrations.count)
        #expect(try store.unplannedEvents(limit: 10).map(\.id) == ["waiting"])
        #expect(try store.event(id: "done")?.orderKey == "A")
        try store.commitPlan(PlanCommit(eventID: "waiting", newJobs: [], at: Date()))
        #expect(try store.unplannedEvents(limit: 10).isEmpty)
    }

    @Test func jobsAndTheirAttemptsInAVersionThreeFileSurviveTheRebuildOfTheJobsTable() throws {
        try writeOldFile(
            version: 3,
            """
            INSERT INTO jobs (id, key, rule, entry, channel, order_key, event_id, due_at, run_at, state, attempts,
                payload, created_at, updated_at, revivable) VALUES
                ('sent1', 'k1', 'r', 0, 'wecom', 'A', 'e1', 5000, 5000, 'sent', 1, x'31', 1, 2, 0),
                ('later', 'k2', 'r', 1, 'wecom', 'A', 'e1', 9000, 9000, 'planned', 0, x'32', 1, 1, 0),
                ('gone', 'k3', 'r', 2, 'wecom', 'B', 'e2', 7000, 7000, 'cancelled', 0, x'33', 1, 1, 1);
            INSERT INTO attempts (job_id, number, at, outcome, reason, duration_ms) VALUES
                ('sent1', 1, 5001, 'sent', NULL, 12);
            """)
        let store = try Store(directory: folder.path)
        #expect(store.migrationsApplied == Schema.migrations.count - 3)
        let jobs = try store.jobs(orderKey: nil, state: nil, limit: 10)
        #expect(jobs.map(\.id) == ["sent1", "gone", "later"])
        #expect(jobs.map(\.state) == [.sent, .cancelled, .planned])
        #expect(try store.attempts(jobID: "sent1").map(\.durationMs) == [12])
        #expect(try store.pendingJobs(orderKey: "A").map(\.id) == ["later"])
        #expect(try store.nextDueTime() == time(9000))
        // The revivable flag came along: planning the cancelled key again brings its job back.
        try store.commitPlan(PlanCommit(eventID: nil, newJobs: [newJob("new", key: "k3", order: "B")], at: time(2)))
        #expect(try store.pendingJobs(orderKey: "B").map(\.id) == ["gone"])

        // The constraints hold as before: the state's check, the attempts' reference to their job.
        #expect(throws: StoreError.self) { try store.executeOnWriter("UPDATE jobs SET state = 'lost'") }
        #expect(throws: StoreError.self) {
            try store.executeOnWriter(
                "INSERT INTO attempts (job_id, number, at, outcome, duration_ms) VALUES ('nobody', 1, 1, 'sent', 0)")
        }
        try store.executeOnWriter("DELETE FROM jobs WHERE id = 'sent1'")
        #expect(try store.attempts(jobID: "sent1").isEmpty)
    }

    @Test func eventsInAVersionFourFileAreFoundByTheirIDsKeyAfterTheRebuildOfTheInbox() throws {
        // Two events of one appointment in the same millisecond: the one stored last is its latest.
        try writeOldFile(
            version: 4,
            """
            INSERT INTO inbox (rowid, id, received_at, kind, order_key, raw) VALUES
                (7, 'second', 1000, 'k', 'A', x'32'), (3, 'first', 1000, 'k', 'A', x'31'),
                (9, 'waiting', 2000, 'k', 'B', x'7b7d');
            INSERT INTO unplanned (id, received_at) VALUES ('waiting', 2000);
            """)
        var upgrades: [[Int]] = []
        let store = try Store(directory: folder.path) { from, to in upgrades.append([from, to]) }
        #expect(upgrades == [[4, Schema.migrations.count]])
        #expect(store.migrationsApplied == Schema.migrations.count - 4)
        #expect(try store.event(id: "first")?.raw == Array("1".utf8))
        #expect(try store.event(id: "second")?.raw == Array("2".utf8))
        #expect(try store.latestEvent(orderKey: "A")?.id == "second")
        #expect(try store.unplannedEvents(limit: 10).map(\.id) == ["waiting"])
        #expect(try store.accept(event("first", order: "A", at: 3000)) == .duplicate)
        #expect(try store.accept(event("third", order: "A", at: 3000)) == .stored)
        #expect(try store.event(id: "third")?.receivedAt == time(3000))

        // The index of whole ids is gone; every row carries its id's key.
        let indexes = try store.read { connection throws(StoreError) in
            try connection.query("SELECT name FROM pragma_index_list('inbox') ORDER BY name", operation: "test") {
                $0.text(0)
            }
        }
        #expect(indexes == ["inbox_by_id_hash", "inbox_by_order"])
        let keyed = try store.read { connection throws(StoreError) in
            try connection.query("SELECT id, id_hash FROM inbox ORDER BY rowid", operation: "test") {
                ($0.text(0), $0.int(1))
            }
        }
        #expect(keyed.map(\.0) == ["first", "second", "waiting", "third"])
        #expect(keyed.allSatisfy { $0.1 == EventIDHash.of($0.0) })
    }

    /// The state's check is a list of comparisons: an IN list made SQLite build a temporary index of its names
    /// for every statement that wrote a state.
    @Test func writingAJobsStateBuildsNoTemporaryIndex() throws {
        let store = try Store(directory: folder.path)
        let program = try store.read { connection throws(StoreError) in
            try connection.query(
                "EXPLAIN UPDATE jobs SET state = 'sent' WHERE id = 'x'", operation: "test"
            ) { $0.text(1) }
        }
        #expect(program.contains("OpenWrite"))
        #expect(!program.contains("OpenEphemeral"))
    }

    /// The statistics would cost a global lock around every allocation SQLite makes; with them off it counts
    /// nothing, however much it allocated.
    @Test func sqliteKeepsNoMemoryStatistics() throws {
        let store = try Store(directory: folder.path)
        _ = try store.accept(event("e1", raw: String(repeating: "x", count: 100_000)))
        #expect(sqlite3_memory_used() == 0)
    }

    /// SQLite commits without waiting for the disk (`synchronous = NORMAL`); the store syncs the log itself
    /// before it answers (see `LogSync` and the group commit's tests).
    @Test func theFileIsWriteAheadLoggedWithForeignKeys() throws {
        let store = try Store(directory: folder.path)
        let settings = try store.writerLock.withLock {
            try [
                "journal_mode", "synchronous", "foreign_keys", "busy_timeout", "wal_autocheckpoint",
                "journal_size_limit",
            ]
            .map { name in
                try store.writer.query("PRAGMA \(name)", operation: "test") { $0.text(0) }.first ?? ""
            }
        }
        #expect(settings == ["wal", "1", "1", "5000", "0", "67108864"])
    }

    /// The writer does not checkpoint as it commits; the checkpointer must still copy the log into the file while
    /// the store stays open.
    @Test func theLogIsCopiedIntoTheFileWhileTheStoreIsOpen() throws {
        let store = try Store(directory: folder.path)
        let before = fileSize(store.path)
        let raw = String(repeating: "x", count: 3_000)
        for index in 0..<64 { _ = try store.accept(event("e\(index)", raw: raw)) }
        let deadline = Date() + 20
        while fileSize(store.path) < before + 100_000 && Date() < deadline { usleep(20_000) }
        #expect(fileSize(store.path) >= before + 100_000)
    }

    /// Under a steady stream of commits the log seldom starts over by itself; past its page limit the writer
    /// starts it over between two batches, so the log stays near that length: here 256 pages (512 kB), where 400
    /// commits of a 3 kB event each would otherwise make it about 7 MB.
    @Test func theWriterStartsTheLogOverPastItsLimit() throws {
        let store = try Store(directory: folder.path, restartPages: 256)
        let raw = String(repeating: "x", count: 3_000)
        for index in 0..<400 { _ = try store.accept(event("w\(index)", raw: raw)) }
        let log = fileSize(store.path + "-wal")
        let page = Store.newFilePageSize
        #expect(log > 256 * page)
        #expect(log < 3 * 256 * page, "log of \(log) bytes after 400 commits")
    }

    /// A new file gets the store's page size; a file made with another keeps it, and works as before.
    @Test func aNewFileHasTheStoresPageSizeAndAnOlderOneKeepsItsOwn() throws {
        let store = try Store(directory: folder.path)
        _ = try store.accept(event("new"))
        store.close()
        #expect(try pageSize(of: store.path) == Store.newFilePageSize)

        let older = TemporaryFolder()
        let path = older.path + "/" + Store.fileName
        try FileManager.default.createDirectory(atPath: older.path, withIntermediateDirectories: true)
        do {
            let old = try Connection(path: path, create: true)
            try old.execute("PRAGMA page_size = 4096; CREATE TABLE made_before (a)", operation: "test")
            old.close()
        }
        let reopened = try Store(directory: older.path)
        #expect(try reopened.accept(event("old")) == .stored)
        #expect(try reopened.event(id: "old")?.id == "old")
        reopened.close()
        #expect(try pageSize(of: path) == 4096)
    }

    /// The page size of the file at `path`, read outside the store.
    func pageSize(of path: String) throws -> Int {
        let connection = try Connection(path: path, create: false)
        defer { connection.close() }
        return Int(try connection.query("PRAGMA page_size", operation: "test") { $0.int(0) }.first ?? 0)
    }

    func fileSize(_ path: String) -> Int {
        ((try? FileManager.default.attributesOfItem(atPath: path))?[.size] as? Int) ?? 0
    }

    @Test func aFileFromANewerVersionIsRefused() throws {
        let store = try Store(directory: folder.path)
        try store.executeOnWriter("PRAGMA user_version = 99")
        store.close()
        let error = try #require(throws: StoreError.self) { try Store(directory: folder.path) }
        #expect(error.description.contains("version 99"))
    }

    @Test func aReadOnlyStoreGivesAClearErrorAndRecovers() throws {
        let store = try Store(directory: folder.path)
        // Root ignores file modes, so the read-only path is forced with query_only there.
        try store.executeOnWriter("PRAGMA query_only = 1")
        let error = try #require(throws: StoreError.self) { try store.accept(event("e1")) }
        #expect(error.isReadOnly)
        #expect(error.description.contains("accept"))
        #expect(try store.event(id: "e1") == nil)

        try store.executeOnWriter("PRAGMA query_only = 0")
        #expect(try store.accept(event("e1")) == .stored)
    }

    @Test(.enabled(if: geteuid() != 0, "root ignores file modes"))
    func aWriteProtectedFileOrFolderIsRefusedAtOpen() throws {
        try Store(directory: folder.path).close()
        let file = folder.path + "/" + Store.fileName
        chmod(file, 0o444)
        let fileError = try #require(throws: StoreError.self) { try Store(directory: folder.path) }
        #expect(fileError.isReadOnly && fileError.description.contains(file))
        chmod(file, 0o644)

        let locked = folder.path + "/locked"
        try FileManager.default.createDirectory(atPath: locked, withIntermediateDirectories: false)
        chmod(locked, 0o555)
        defer { chmod(locked, 0o755) }
        let folderError = try #require(throws: StoreError.self) { try Store(directory: locked) }
        #expect(folderError.description.contains(locked))
    }

    @Test func aFullDiskFailsTheWholeTransactionAndStoresNothing() throws {
        let store = try Store(directory: folder.path)
        _ = try store.accept(event("small"))
        // A page limit equal to the current size stands in for a full disk.
        let pages = try store.read { connection throws(StoreError) in
            try connection.query("PRAGMA page_count", operation: "test") { $0.int(0) }
        }
        try store.executeOnWriter("PRAGMA max_page_count = \(pages[0])")
        let big = String(repeating: "x", count: 64 * 1024)
        let error = try #require(throws: StoreError.self) { try store.accept(event("big", raw: big)) }
        #expect(error.isFull && error.mayRetry)
        #expect(try store.event(id: "big") == nil)

        let plan = PlanCommit(eventID: "small", newJobs: [newJob("j1"), newJob("j2").withPayload(big)], at: time(1))
        #expect(throws: StoreError.self) { try store.commitPlan(plan) }
        #expect(try store.jobs(orderKey: nil, state: nil, limit: 10).isEmpty)
        #expect(try store.unplannedEvents(limit: 10).map(\.id) == ["small"])

        try store.executeOnWriter("PRAGMA max_page_count = 1000000")
        #expect(try store.accept(event("big", raw: big)) == .stored)
        #expect(store.sizeInBytes() > 64 * 1024)
    }

    @Test func aClosedStoreThrowsInsteadOfCrashing() throws {
        let store = try Store(directory: folder.path)
        store.close()
        store.close()
        let error = try #require(throws: StoreError.self) { try store.accept(event("e1")) }
        #expect(error.code == SQLITE_MISUSE)
        #expect(throws: StoreError.self) { try store.nextDueTime() }
    }
}

extension NewJob {
    fileprivate func withPayload(_ text: String) -> NewJob {
        var copy = self
        copy.payload = Array(text.utf8)
        return copy
    }
}
