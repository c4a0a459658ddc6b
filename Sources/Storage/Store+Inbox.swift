import Foundation

extension Store {
    /// What `accept` did with an event.
    public enum AcceptResult: Sendable, Equatable {
        /// The event is new and now durably stored.
        case stored
        /// An event with this id was stored before (or earlier in the same batch); nothing changed.
        case duplicate
    }

    private static let eventColumns = "id, received_at, kind, order_key, raw"
    private static let joinedColumns = "i.id, i.received_at, i.kind, i.order_key, i.raw"

    /// Durably stores `event`, returning only after the commit has reached the disk.
    ///
    /// Concurrent callers share one transaction, so many pushes cost about one fsync. If that transaction
    /// fails (full disk, read-only file), every caller in it gets the error and none of its events is stored.
    public func accept(_ event: InboxEvent) throws(StoreError) -> AcceptResult {
        try write("accept") { connection throws(StoreError) in try Self.insert(event, on: connection) }
    }

    /// Stores `event` like `accept(_:)`, without waiting: `completion` gets the result once the commit has reached
    /// the disk (or failed), on the thread that committed it. Many pushes wait together this way without a
    /// thread each.
    public func accept(_ event: InboxEvent, completion: @escaping @Sendable (Result<AcceptResult, StoreError>) -> Void)
    {
        write(
            "accept", { connection throws(StoreError) in try Self.insert(event, on: connection) },
            completion: completion)
    }

    private static func insert(_ event: InboxEvent, on connection: Connection) throws(StoreError) -> AcceptResult {
        let inserted = try connection.run(
            """
            INSERT INTO inbox (id, received_at, kind, order_key, raw) VALUES (?, ?, ?, ?, ?)
            ON CONFLICT (id) DO NOTHING
            """,
            [.text(event.id), .time(event.receivedAt), .text(event.kind), .text(event.orderKey), .blob(event.raw)],
            operation: "accept")
        guard inserted == 1 else { return .duplicate }
        try connection.run(
            "INSERT INTO unplanned (id, received_at) VALUES (?, ?)", [.text(event.id), .time(event.receivedAt)],
            operation: "accept")
        return .stored
    }

    /// The event stored under `id`, if any.
    public func event(id: String) throws(StoreError) -> InboxEvent? {
        try read { connection throws(StoreError) in
            try connection.query(
                "SELECT \(Self.eventColumns) FROM inbox WHERE id = ?", [.text(id)], operation: "read event",
                row: Self.event(from:)
            ).first
        }
    }

    /// The most recently received event of appointment `orderKey`, if any.
    public func latestEvent(orderKey: String) throws(StoreError) -> InboxEvent? {
        try read { connection throws(StoreError) in
            try connection.query(
                """
                SELECT \(Self.eventColumns) FROM inbox WHERE order_key = ?
                ORDER BY received_at DESC, rowid DESC LIMIT 1
                """,
                [.text(orderKey)], operation: "read latest event", row: Self.event(from:)
            ).first
        }
    }

    /// Up to `limit` stored events whose plan was never committed (after a crash), oldest first.
    public func unplannedEvents(limit: Int) throws(StoreError) -> [InboxEvent] {
        try read { connection throws(StoreError) in
            try connection.query(
                """
                SELECT \(Self.joinedColumns) FROM unplanned u JOIN inbox i ON i.id = u.id
                ORDER BY u.received_at, u.rowid LIMIT ?
                """,
                [.int(Int64(limit))], operation: "read unplanned events", row: Self.event(from:))
        }
    }

    private static func event(from row: Row) -> InboxEvent {
        InboxEvent(
            id: row.text(0), receivedAt: row.date(1), kind: row.text(2), orderKey: row.optionalText(3),
            raw: row.blob(4))
    }
}
