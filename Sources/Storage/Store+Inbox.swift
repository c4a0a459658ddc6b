import Foundation

extension Store {
    /// What `accept` did with an event.
    public enum AcceptResult: Sendable, Equatable {
        /// The event is new and now durably stored; the planner plans it from the store.
        case stored
        /// The event is new and now durably stored together with its plan.
        case planned
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

    /// Stores `event` like `accept(_:completion:)` and, in the same transaction, the plan that `plan` makes for
    /// it, so that the planner need not read the event back.
    ///
    /// `plan` runs on the committing thread, inside the transaction, with the planned jobs of the event's
    /// appointment as they stand there (none without an appointment); it returns the plan to commit, or nil to
    /// leave the event to the planner. The event is also left to the planner, and `plan` not called, while
    /// other events wait for it, so that events are planned in the order they arrived; and when the plan cannot
    /// be stored, which then stores the event alone. The result is `.planned` when the plan was stored with it.
    public func accept(
        _ event: InboxEvent, planning plan: @escaping (_ pending: [Job]) -> PlanCommit?,
        completion: @escaping @Sendable (Result<AcceptResult, StoreError>) -> Void
    ) {
        write(
            "accept",
            { connection throws(StoreError) in
                guard try Self.insertEvent(event, on: connection) else { return .duplicate }
                if try Self.planInline(event, plan, on: connection) { return .planned }
                try Self.enqueueForPlanning(event, on: connection)
                return .stored
            }, completion: completion)
    }

    private static func insert(_ event: InboxEvent, on connection: Connection) throws(StoreError) -> AcceptResult {
        guard try insertEvent(event, on: connection) else { return .duplicate }
        try enqueueForPlanning(event, on: connection)
        return .stored
    }

    /// Whether an event of an id is stored, by the id's key and the id itself.
    private static let storedSQL = "SELECT 1 FROM inbox WHERE id_hash = ? AND id = ? LIMIT 1"
    private static let insertEventSQL = """
        INSERT INTO inbox (id, received_at, kind, order_key, raw, id_hash) VALUES (?, ?, ?, ?, ?, ?)
        """

    /// Inserts the inbox row of `event`; returns false when an event with its id is stored already.
    ///
    /// A look, then the insert: the store's writer is the only one, so nothing comes between them. As one
    /// `INSERT … SELECT … WHERE NOT EXISTS`, SQLite copied each row into a temporary table first, since the
    /// statement reads the table it writes: 20,000 more instructions a push.
    static func insertEvent(_ event: InboxEvent, on connection: Connection) throws(StoreError) -> Bool {
        let key = SQLValue.int(EventIDHash.of(event.id))
        let stored = try connection.query(storedSQL, [key, .text(event.id)], operation: "accept") { $0.int(0) }
        guard stored.isEmpty else { return false }
        try connection.run(
            insertEventSQL,
            [
                .text(event.id), .time(event.receivedAt), .text(event.kind), .text(event.orderKey), .blob(event.raw),
                key,
            ],
            operation: "accept")
        if let order = event.orderKey {
            connection.insertedEvents.append(
                LatestEvents.Inserted(orderKey: order, id: event.id, receivedAt: Milliseconds.from(event.receivedAt)))
        }
        return true
    }

    /// Puts `event` in the queue of events awaiting the planner.
    private static func enqueueForPlanning(_ event: InboxEvent, on connection: Connection) throws(StoreError) {
        try connection.run(
            "INSERT INTO unplanned (id, received_at) VALUES (?, ?)", [.text(event.id), .time(event.receivedAt)],
            operation: "accept")
    }

    /// Stores the plan `plan` makes for `event` in a savepoint of its own; returns whether it did. Nothing is
    /// planned here while the planner's queue holds events, which must be planned first.
    private static func planInline(
        _ event: InboxEvent, _ plan: (_ pending: [Job]) -> PlanCommit?, on connection: Connection
    ) throws(StoreError) -> Bool {
        let waiting = try connection.query("SELECT 1 FROM unplanned LIMIT 1", operation: "accept") { $0.int(0) }
        guard waiting.isEmpty else { return false }
        var pending: [Job] = []
        if let order = event.orderKey {
            pending = try connection.query(
                pendingJobsSQL, [.text(order)], operation: "accept: read pending jobs", row: job(from:))
        }
        guard let commit = plan(pending) else { return false }
        // Outside a savepoint the whole work fails instead, and the group commit writes it again in one.
        guard connection.inWorkSavepoint else {
            try validate(commit)
            try apply(commit, on: connection)
            return true
        }
        try connection.run("SAVEPOINT plan", operation: "accept")
        do {
            try validate(commit)
            try apply(commit, on: connection)
        } catch {
            // The planner will try again from the queue, and report what stops it.
            try connection.run("ROLLBACK TO plan", operation: "accept")
            try connection.run("RELEASE plan", operation: "accept")
            return false
        }
        try connection.run("RELEASE plan", operation: "accept")
        return true
    }

    /// The event stored under `id`, if any.
    public func event(id: String) throws(StoreError) -> InboxEvent? {
        try read { connection throws(StoreError) in
            try connection.query(
                Self.eventSQL, [.int(EventIDHash.of(id)), .text(id)], operation: "read event",
                row: Self.event(from:)
            ).first
        }
    }

    /// Which row of the inbox is the latest of an appointment: the last received, and of those the last stored.
    private static let latestOfOrder = "FROM inbox WHERE order_key = ? ORDER BY received_at DESC, rowid DESC LIMIT 1"
    // Built once, as the statement cache finds statements by their text (see `insertJobReturningSQL`).
    private static let eventSQL = "SELECT \(eventColumns) FROM inbox WHERE id_hash = ? AND id = ?"
    private static let latestEventSQL = "SELECT \(eventColumns) \(latestOfOrder)"
    private static let latestEventIDSQL = "SELECT id \(latestOfOrder)"

    /// The most recently received event of appointment `orderKey`, if any.
    public func latestEvent(orderKey: String) throws(StoreError) -> InboxEvent? {
        try read { connection throws(StoreError) in
            try connection.query(
                Self.latestEventSQL, [.text(orderKey)], operation: "read latest event",
                row: Self.event(from:)
            ).first
        }
    }

    /// The id of the most recently received event of appointment `orderKey`, if any: `latestEvent(orderKey:)`
    /// without the event's bytes, for a reader that may hold the event already. Answered from memory for the
    /// appointments stored lately (`LatestEvents`).
    public func latestEventID(orderKey: String) throws(StoreError) -> String? {
        if let id = latestEvents.id(of: orderKey) { return id }
        return try read { connection throws(StoreError) in
            try connection.query(
                Self.latestEventIDSQL, [.text(orderKey)], operation: "read latest event",
                row: { $0.text(0) }
            ).first
        }
    }

    /// The id of the latest event of appointment `orderKey` when it is held in memory (`LatestEvents`), without
    /// reading the file; nil tells nothing about the inbox.
    public func heldLatestEventID(orderKey: String) -> String? {
        latestEvents.id(of: orderKey)
    }

    /// The queue's events, oldest first. CROSS JOIN keeps the queue the outer table: left to choose, and
    /// without statistics to tell it that the queue is the short one, SQLite planned to read the whole inbox and
    /// look each row up in the queue.
    static let unplannedEventsSQL = """
        SELECT \(joinedColumns) FROM unplanned u
        CROSS JOIN inbox i ON i.id_hash = \(EventIDHash.sqlFunction)(u.id) AND i.id = u.id
        ORDER BY u.received_at, u.rowid LIMIT ?
        """

    /// Up to `limit` stored events whose plan was never committed (after a crash), oldest first.
    public func unplannedEvents(limit: Int) throws(StoreError) -> [InboxEvent] {
        try read { connection throws(StoreError) in
            try connection.query(
                Self.unplannedEventsSQL, [.int(Int64(limit))], operation: "read unplanned events",
                row: Self.event(from:))
        }
    }

    private static func event(from row: Row) -> InboxEvent {
        InboxEvent(
            id: row.text(0), receivedAt: row.date(1), kind: row.text(2), orderKey: row.optionalText(3),
            raw: row.blob(4))
    }
}
