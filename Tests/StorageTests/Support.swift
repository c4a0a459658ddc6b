import Foundation

@testable import Storage

/// A fresh folder under the temporary directory, removed with everything in it when released.
final class TemporaryFolder {
    let path: String

    init() {
        path = (NSTemporaryDirectory() as NSString).appendingPathComponent("scrm-storage-\(UUID().uuidString)")
    }

    deinit {
        // A test that made the folder read-only must not leave it behind.
        chmod(path, 0o755)
        try? FileManager.default.removeItem(atPath: path)
    }
}

/// A time `ms` milliseconds after 1970, exact to the millisecond as the store keeps it.
func time(_ ms: Int64) -> Date { Date(timeIntervalSince1970: Double(ms) / 1000) }

/// An event of appointment `order`, received at `ms`.
func event(_ id: String, order: String? = "A1", at ms: Int64 = 1_000, raw: String = #"{"k":1}"#) -> InboxEvent {
    InboxEvent(id: id, receivedAt: time(ms), kind: "appointment.created", orderKey: order, raw: Array(raw.utf8))
}

/// A planned job of appointment `order`, due at `due`, whose key is `key` (the id by default).
func newJob(
    _ id: String, key: String? = nil, order: String? = "A1", due: Int64 = 10_000, state: JobState = .planned,
    reason: String? = nil
) -> NewJob {
    NewJob(
        id: id, key: key ?? "rule|\(order ?? "-")|0|\(id)", rule: "reminder", entry: 0, channel: "wecom",
        orderKey: order, eventID: "e1", dueAt: time(due), state: state, reason: reason, payload: Array(id.utf8))
}

extension Store {
    /// Runs raw SQL on the writer, to set up conditions (query-only, page limit) the public API cannot.
    func executeOnWriter(_ sql: String) throws {
        try writerLock.withLock { try writer.execute(sql, operation: "test") }
    }

    /// SQLite's query plan for `sql`, one detail per line.
    func queryPlan(_ sql: String) throws -> String {
        try read { connection throws(StoreError) in
            try connection.query("EXPLAIN QUERY PLAN " + sql, operation: "test") { $0.text(3) }
        }.joined(separator: "\n")
    }
}
