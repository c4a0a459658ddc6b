import Foundation
import Testing

@testable import Storage

@Suite struct Inbox {
    let folder = TemporaryFolder()

    @Test func anAcceptedEventIsFoundAfterReopeningTheFile() throws {
        let original = event("e1", order: "A1", at: 1_700_000_000_123, raw: "")
        do {
            let store = try Store(directory: folder.path)
            #expect(try store.accept(original) == .stored)
            store.close()
        }
        let reopened = try Store(directory: folder.path)
        #expect(try reopened.event(id: "e1") == original)
        #expect(try reopened.event(id: "missing") == nil)
        #expect(FileManager.default.fileExists(atPath: folder.path + "/scrm-notify.sqlite"))
    }

    @Test func aRepeatedIDIsADuplicateAndLeavesTheFirstEventUnchanged() throws {
        let store = try Store(directory: folder.path)
        let first = event("e1", order: "A1", at: 1_000, raw: "first")
        #expect(try store.accept(first) == .stored)
        #expect(try store.accept(event("e1", order: "B2", at: 2_000, raw: "second")) == .duplicate)
        #expect(try store.event(id: "e1") == first)
    }

    /// Ids are found by a 64-bit key of theirs; two ids that share a key are still two events.
    @Test func anotherIDUnderTheSameKeyIsStoredAndFoundApart() throws {
        let store = try Store(directory: folder.path)
        let key = EventIDHash.of("e1")
        try store.executeOnWriter(
            """
            INSERT INTO inbox (id, received_at, kind, order_key, raw, id_hash)
            VALUES ('impostor', 500, 'k', 'Z9', x'00', \(key))
            """)
        let original = event("e1", order: "A1", at: 1_000, raw: "first")
        #expect(try store.accept(original) == .stored)
        #expect(try store.event(id: "e1") == original)
        #expect(try store.accept(event("e1", order: "A1", at: 2_000, raw: "again")) == .duplicate)
        let sharing = try store.read { connection throws(StoreError) in
            try connection.query("SELECT id FROM inbox WHERE id_hash = ? ORDER BY id", [.int(key)], operation: "test") {
                $0.text(0)
            }
        }
        #expect(sharing == ["e1", "impostor"])
    }

    /// The key is the first eight bytes of the id's SHA-256, big-endian; the SQL function gives the same.
    @Test func anIDsKeyIsTheStartOfItsDigestInSwiftAndInSQL() throws {
        // SHA-256("abc") begins ba 78 16 bf 8f 01 cf ea.
        #expect(EventIDHash.of("abc") == Int64(bitPattern: 0xba78_16bf_8f01_cfea))
        let store = try Store(directory: folder.path)
        let fromSQL = try store.read { connection throws(StoreError) in
            try connection.query(
                "SELECT event_id_hash('abc'), event_id_hash('预约-1'), event_id_hash(NULL) IS NULL", operation: "test"
            ) { ($0.int(0), $0.int(1), $0.int(2)) }
        }
        #expect(fromSQL.first?.0 == EventIDHash.of("abc"))
        #expect(fromSQL.first?.1 == EventIDHash.of("预约-1"))
        #expect(fromSQL.first?.2 == 1)
    }

    /// The planner's queue is read through its own index and each of its events found by its id's key, and an
    /// id by its key: no statement reads the whole inbox.
    @Test func theQueueAndAnIDAreFoundThroughIndexes() throws {
        let store = try Store(directory: folder.path)
        var plans: [[String]] = []
        for sql in [Store.unplannedEventsSQL, "SELECT id FROM inbox WHERE id_hash = ? AND id = 'x'"] {
            plans.append(
                try store.read { connection throws(StoreError) in
                    try connection.query("EXPLAIN QUERY PLAN " + sql, [.int(10)], operation: "test") { $0.text(3) }
                })
        }
        #expect(
            plans[0] == ["SCAN u USING INDEX unplanned_by_time", "SEARCH i USING INDEX inbox_by_id_hash (id_hash=?)"])
        #expect(plans[1] == ["SEARCH inbox USING INDEX inbox_by_id_hash (id_hash=?)"])
    }

    @Test func sixtyFourConcurrentAcceptsAreAllStoredInFarFewerCommits() throws {
        let store = try Store(directory: folder.path)
        let before = store.commitCount
        let results = Results()
        let start = DispatchSemaphore(value: 0)
        let done = DispatchGroup()
        for index in 0..<64 {
            done.enter()
            Thread {
                start.wait()
                let outcome = Result { () throws(StoreError) in try store.accept(event("e\(index)")) }
                results.append(outcome)
                done.leave()
            }.start()
        }
        for _ in 0..<64 { start.signal() }
        done.wait()

        #expect(results.all.count == 64)
        #expect(results.all.allSatisfy { (try? $0.get()) == .stored })
        for index in 0..<64 { #expect(try store.event(id: "e\(index)") != nil) }
        let commits = store.commitCount - before
        #expect(commits >= 1 && commits <= 16, "64 accepts took \(commits) commits")
    }

    @Test func duplicatesWithinOneBatchAreReportedAsDuplicates() throws {
        let store = try Store(directory: folder.path)
        let results = Results()
        let done = DispatchGroup()
        // Holding the writer lock makes all eight callers queue up and share the next batch.
        store.writerLock.lock()
        for _ in 0..<8 {
            done.enter()
            Thread {
                results.append(Result { () throws(StoreError) in try store.accept(event("same")) })
                done.leave()
            }.start()
        }
        let before = store.commits
        while store.groupCommit.waiting < 8 { usleep(1_000) }
        store.writerLock.unlock()
        done.wait()

        let outcomes = results.all.compactMap { try? $0.get() }
        #expect(outcomes.filter { $0 == .stored }.count == 1)
        #expect(outcomes.filter { $0 == .duplicate }.count == 7)
        #expect(store.commitCount - before == 1)
    }

    @Test func theLatestEventIsTheNewestReceivedForItsAppointment() throws {
        let store = try Store(directory: folder.path)
        _ = try store.accept(event("old", order: "A1", at: 1_000))
        _ = try store.accept(event("new", order: "A1", at: 3_000))
        _ = try store.accept(event("other", order: "B2", at: 5_000))
        #expect(try store.latestEvent(orderKey: "A1")?.id == "new")
        #expect(try store.latestEvent(orderKey: "C3") == nil)
        #expect(try store.latestEventID(orderKey: "A1") == "new")
        #expect(try store.latestEventID(orderKey: "C3") == nil)
        // Received in the same millisecond, the later stored is the latest.
        _ = try store.accept(event("newer", order: "A1", at: 3_000))
        #expect(try store.latestEventID(orderKey: "A1") == "newer")
        #expect(try store.latestEvent(orderKey: "A1")?.id == "newer")
    }

    /// Parameters go to SQLite as they are: an empty text stays text, not NULL, and non-ASCII text and a blob
    /// keep every byte.
    @Test func emptyAndNonASCIIParametersAreStoredAsTheyAre() throws {
        let store = try Store(directory: folder.path)
        let raw: [UInt8] = [0, 0xFF, 0x22, 0x5C]
        _ = try store.accept(
            InboxEvent(id: "e-空", receivedAt: time(1_000), kind: "", orderKey: "订单-1", raw: raw))
        _ = try store.accept(InboxEvent(id: "e-empty", receivedAt: time(2_000), kind: "k", orderKey: nil, raw: []))

        let rows = try store.read { (connection) throws(StoreError) in
            try connection.query(
                "SELECT id, typeof(kind), kind, order_key, typeof(raw), hex(raw) FROM inbox ORDER BY received_at",
                operation: "test"
            ) { [$0.text(0), $0.text(1), $0.text(2), $0.text(3), $0.text(4), $0.text(5)] }
        }
        #expect(rows.first == ["e-空", "text", "", "订单-1", "blob", "00FF225C"])
        #expect(rows.last == ["e-empty", "text", "k", "", "blob", ""])
        #expect(rows.count == 2)
    }

    /// The latest event of an appointment stored since the store opened is answered from memory, and as the
    /// inbox's query answers it: the newest received, and of the same millisecond the last stored.
    @Test func theLatestEventFromMemoryAgreesWithTheInbox() throws {
        let store = try Store(directory: folder.path)
        _ = try store.accept(event("a-new", order: "A1", at: 3_000))
        _ = try store.accept(event("a-old", order: "A1", at: 1_000))
        _ = try store.accept(event("b-first", order: "B2", at: 5_000))
        _ = try store.accept(event("b-second", order: "B2", at: 5_000))
        _ = try store.accept(event("none", order: nil, at: 6_000))

        #expect(store.latestEvents.id(of: "A1") == "a-new")
        #expect(store.latestEvents.id(of: "B2") == "b-second")
        // A second store on the file has nothing in memory and reads the inbox.
        let reopened = try Store(directory: folder.path)
        #expect(reopened.latestEvents.id(of: "A1") == nil)
        for order in ["A1", "B2", "C3"] {
            #expect(try store.latestEventID(orderKey: order) == reopened.latestEventID(orderKey: order))
        }
    }

    /// An event whose write failed, and was rolled back with it, is never taken as its appointment's latest.
    @Test func anEventRolledBackWithItsWorkIsNotTheLatest() throws {
        let store = try Store(directory: folder.path)
        _ = try store.accept(event("kept", order: "A1", at: 1_000))

        #expect(throws: StoreError.self) {
            try store.write("insert, then fail") { connection throws(StoreError) in
                _ = try Store.insertEvent(event("rolled-back", order: "A1", at: 2_000), on: connection)
                throw StoreError(operation: "test", code: 0, message: "fails after its insert")
            }
        }

        #expect(try store.event(id: "rolled-back") == nil)
        #expect(try store.latestEventID(orderKey: "A1") == "kept")
    }

    @Test func eventsStayUnplannedUntilTheirPlanIsCommitted() throws {
        let store = try Store(directory: folder.path)
        _ = try store.accept(event("e2", at: 2_000))
        _ = try store.accept(event("e1", at: 1_000))
        #expect(try store.unplannedEvents(limit: 10).map(\.id) == ["e1", "e2"])

        try store.commitPlan(PlanCommit(eventID: "e1", newJobs: [], at: time(5_000)))
        #expect(try store.unplannedEvents(limit: 10).map(\.id) == ["e2"])
        #expect(try store.unplannedEvents(limit: 0).isEmpty)
    }
}

/// Values gathered from many threads; guarded by `lock`.
final class Collected<T>: @unchecked Sendable {
    private let lock = NSLock()
    private var items: [T] = []

    func append(_ item: T) { lock.withLock { items.append(item) } }
    var all: [T] { lock.withLock { items } }
}

/// Accept results gathered from many threads.
typealias Results = Collected<Result<Store.AcceptResult, StoreError>>

@Suite struct LatestEventsInMemory {
    private func inserted(_ order: String, _ id: String, at ms: Int64) -> LatestEvents.Inserted {
        LatestEvents.Inserted(orderKey: order, id: id, receivedAt: ms)
    }

    @Test func theOldestAppointmentsAreDroppedPastTheCapacity() {
        let latest = LatestEvents(capacity: 2)
        latest.committed([inserted("A", "a1", at: 1), inserted("B", "b1", at: 1)])
        latest.committed([inserted("A", "a2", at: 2), inserted("C", "c1", at: 3)])

        #expect(latest.id(of: "A") == nil)
        #expect(latest.id(of: "B") == "b1")
        #expect(latest.id(of: "C") == "c1")
    }

    @Test func anEventReceivedEarlierThanTheHeldOneDoesNotReplaceIt() {
        let latest = LatestEvents()
        latest.committed([inserted("A", "later", at: 5), inserted("A", "earlier", at: 4)])
        #expect(latest.id(of: "A") == "later")
        latest.committed([inserted("A", "same-millisecond", at: 5)])
        #expect(latest.id(of: "A") == "same-millisecond")
    }

    @Test func aBatchThatMayNotHaveCommittedIsForgotten() {
        let latest = LatestEvents()
        latest.committed([inserted("A", "a1", at: 1), inserted("B", "b1", at: 1)])
        latest.forget([inserted("A", "a2", at: 2)])
        #expect(latest.id(of: "A") == nil)
        #expect(latest.id(of: "B") == "b1")
    }
}
