import CSQLite
import Foundation

/// A value bound to a statement parameter.
enum SQLValue {
    case text(String)
    case int(Int64)
    case blob([UInt8])
    case null
}

extension SQLValue {
    /// Text, or NULL when `value` is nil.
    static func text(_ value: String?) -> SQLValue { value.map { .text($0) } ?? .null }

    /// Milliseconds since 1970, or NULL when `date` is nil.
    static func time(_ date: Date?) -> SQLValue { date.map { .int(Milliseconds.from($0)) } ?? .null }
}

/// Times are stored as integer milliseconds since 1970 (UTC).
enum Milliseconds {
    /// `date` rounded down to the millisecond, so a stored due time is never later than the time it came from.
    static func from(_ date: Date) -> Int64 { Int64((date.timeIntervalSince1970 * 1000).rounded(.down)) }

    /// The date of `ms` milliseconds since 1970.
    static func date(_ ms: Int64) -> Date { Date(timeIntervalSince1970: Double(ms) / 1000) }
}

/// One SQLite connection and its prepared statements.
///
/// Not thread-safe: each instance has exactly one owner (the lock that guards it, named where it is stored).
final class Connection {
    private var db: OpaquePointer?
    /// Statements prepared once, by SQL text, and reset after every use.
    private var statements: [StatementKey: OpaquePointer] = [:]
    let path: String
    /// Whether the group commit runs the current work in a savepoint of its own, which a failure rolls back;
    /// outside one, a work that fails is written again in one (`GroupCommit`).
    var inWorkSavepoint = false
    /// The inbox rows of appointments inserted by the transaction in progress, in order (`LatestEvents`); the
    /// group commit's steps empty it.
    var insertedEvents: [LatestEvents.Inserted] = []

    /// SQLite's process-wide settings, made once before the first connection opens. Nothing reads SQLite's memory
    /// statistics, and keeping them took a global lock around each of its allocations: 1.7 % of the committing
    /// thread's time under load, on the lock alone.
    private static let configured: Void = { _ = scrm_sqlite_disable_memory_statistics() }()

    /// Opens (and with `create`, creates) the database file at `path`.
    init(path: String, create: Bool) throws(StoreError) {
        Self.configured
        self.path = path
        var flags = SQLITE_OPEN_READWRITE | SQLITE_OPEN_NOMUTEX
        if create { flags |= SQLITE_OPEN_CREATE }
        var handle: OpaquePointer?
        let rc = sqlite3_open_v2(path, &handle, flags, nil)
        guard rc == SQLITE_OK, let handle else {
            let error = StoreError.sqlite("open \(path)", handle, code: rc)
            sqlite3_close_v2(handle)
            throw error
        }
        db = handle
        sqlite3_extended_result_codes(handle, 1)
        // The key of an event id in SQL, for the migration that keyed the inbox by it and for joins to the inbox.
        let registered = EventIDHash.register(on: handle)
        guard registered == SQLITE_OK else {
            let error = StoreError.sqlite("open \(path)", handle, code: registered)
            close()
            throw error
        }
        // sqlite3_open_v2 silently falls back to reading when the file is write-protected; say so now,
        // not at the first push.
        if sqlite3_db_readonly(handle, "main") == 1 {
            close()
            throw StoreError(
                operation: "open \(path)", code: SQLITE_READONLY, message: "the database file is not writable")
        }
    }

    deinit { close() }

    /// Finalizes every statement and closes the handle; later calls throw `StoreError.closed`.
    func close() {
        for statement in statements.values { sqlite3_finalize(statement) }
        statements = [:]
        if let db { sqlite3_close_v2(db) }
        db = nil
    }

    /// The number of rows changed by the last INSERT, UPDATE or DELETE.
    var changes: Int { db.map { Int(sqlite3_changes($0)) } ?? 0 }

    /// Runs SQL without parameters or results (pragmas, schema, transaction control).
    func execute(_ sql: String, operation: String) throws(StoreError) {
        guard let db else { throw .closed(operation) }
        let rc = sqlite3_exec(db, sql, nil, nil, nil)
        guard rc == SQLITE_OK else { throw .sqlite(operation, db, code: rc) }
    }

    /// Runs one statement with `values` bound to its parameters, returning the rows changed.
    @discardableResult
    func run(_ sql: String, _ values: [SQLValue] = [], operation: String) throws(StoreError) -> Int {
        _ = try query(sql, values, operation: operation) { _ in () }
        return changes
    }

    /// Runs one statement and maps each result row with `row`.
    func query<T>(
        _ sql: String, _ values: [SQLValue] = [], operation: String, row: (Row) -> T
    ) throws(StoreError) -> [T] {
        guard let db else { throw .closed(operation) }
        let statement = try prepared(sql, db: db, operation: operation)
        let bytes = BoundBytes(values)
        defer {
            sqlite3_reset(statement)
            sqlite3_clear_bindings(statement)
            bytes.release()
        }
        try bind(values, bytes, to: statement, db: db, operation: operation)
        var rows: [T] = []
        while true {
            let rc = sqlite3_step(statement)
            if rc == SQLITE_DONE { return rows }
            guard rc == SQLITE_ROW else { throw .sqlite(operation, db, code: rc) }
            rows.append(row(Row(statement: statement)))
        }
    }

    private func prepared(_ sql: String, db: OpaquePointer, operation: String) throws(StoreError) -> OpaquePointer {
        let key = StatementKey(sql: sql)
        if let statement = statements[key] { return statement }
        var statement: OpaquePointer?
        let rc = sqlite3_prepare_v3(db, sql, -1, UInt32(SQLITE_PREPARE_PERSISTENT), &statement, nil)
        guard rc == SQLITE_OK, let statement else { throw .sqlite(operation, db, code: rc) }
        statements[key] = statement
        return statement
    }

    /// Binds `values` to `statement`'s parameters; text and blobs point into `bytes`, which holds them until the
    /// statement is reset.
    private func bind(
        _ values: [SQLValue], _ bytes: BoundBytes, to statement: OpaquePointer, db: OpaquePointer, operation: String
    ) throws(StoreError) {
        for (offset, value) in values.enumerated() {
            let index = Int32(offset + 1)
            let rc: Int32
            switch value {
            case .text(let text):
                let (pointer, count) = bytes.take(text.utf8)
                rc = sqlite3_bind_text(statement, index, pointer.assumingMemoryBound(to: CChar.self), Int32(count), nil)
            case .int(let number):
                rc = sqlite3_bind_int64(statement, index, number)
            case .blob(let blob):
                // An empty array has no base address, and a NULL pointer would bind NULL, not an empty blob.
                if blob.isEmpty {
                    rc = sqlite3_bind_zeroblob(statement, index, 0)
                } else {
                    let (pointer, count) = bytes.take(blob)
                    rc = sqlite3_bind_blob64(statement, index, pointer, UInt64(count), nil)
                }
            case .null:
                rc = sqlite3_bind_null(statement, index)
            }
            guard rc == SQLITE_OK else { throw .sqlite(operation, db, code: rc) }
        }
    }
}

/// The text and blob parameters of one statement, copied into one allocation that lives until the statement is
/// reset, so that SQLite can take them as they are (`SQLITE_STATIC`).
///
/// Bound as transient, SQLite allocated and copied each text and blob itself, and measured each text again with
/// `strlen`: 8 % of the store's instructions for a push went to binding (`bench-store` under callgrind).
private final class BoundBytes {
    private let base: UnsafeMutableRawPointer
    private var used = 0

    /// Room for the text and blobs of `values`.
    init(_ values: [SQLValue]) {
        var total = 1
        for value in values {
            switch value {
            case .text(let text): total += text.utf8.count
            case .blob(let blob): total += blob.count
            case .int, .null: break
            }
        }
        base = .allocate(byteCount: total, alignment: 8)
    }

    /// Copies `source` in and returns where it is and its length; never a NULL pointer, which would bind NULL.
    func take<Source: Collection<UInt8>>(_ source: Source) -> (UnsafeMutableRawPointer, Int) {
        let start = base + used
        let target = UnsafeMutableRawBufferPointer(start: start, count: source.count)
        let copied: Void? = source.withContiguousStorageIfAvailable {
            target.copyMemory(from: UnsafeRawBufferPointer($0))
        }
        if copied == nil { _ = target.initializeMemory(as: UInt8.self, from: source) }
        used += source.count
        return (start, source.count)
    }

    func release() { base.deallocate() }
}

/// The current row of a stepping statement; valid only inside the `row` closure of `Connection.query`.
struct Row {
    let statement: OpaquePointer

    /// Whether column `index` is NULL.
    func isNull(_ index: Int32) -> Bool { sqlite3_column_type(statement, index) == SQLITE_NULL }

    /// Column `index` as text ("" when NULL).
    func text(_ index: Int32) -> String {
        guard let pointer = sqlite3_column_text(statement, index) else { return "" }
        let count = Int(sqlite3_column_bytes(statement, index))
        return String(decoding: UnsafeBufferPointer(start: pointer, count: count), as: UTF8.self)
    }

    /// Column `index` as text, or nil when NULL.
    func optionalText(_ index: Int32) -> String? { isNull(index) ? nil : text(index) }

    /// Column `index` as an integer.
    func int(_ index: Int32) -> Int64 { sqlite3_column_int64(statement, index) }

    /// Column `index` as a time stored in milliseconds.
    func date(_ index: Int32) -> Date { Milliseconds.date(int(index)) }

    /// Column `index` as a time, or nil when NULL.
    func optionalDate(_ index: Int32) -> Date? { isNull(index) ? nil : date(index) }

    /// Column `index` as bytes (empty when NULL).
    func blob(_ index: Int32) -> [UInt8] {
        guard let pointer = sqlite3_column_blob(statement, index) else { return [] }
        let count = Int(sqlite3_column_bytes(statement, index))
        return Array(UnsafeRawBufferPointer(start: pointer, count: count))
    }
}

/// SQL text as the key of a prepared statement, hashed by its length and its first and last 32 bytes: hashing
/// the whole text, some of it hundreds of bytes, took 1,200 instructions a statement, a twenty-fifth of what the
/// store does for a push (bench-store); this takes about 150. Texts alike in all of that still compare whole.
private struct StatementKey: Hashable {
    let sql: String

    func hash(into hasher: inout Hasher) {
        var sql = sql
        // One word mixed from the text's length and eight words of its ends: the hasher takes each word it is
        // given in some fifty instructions, a buffer in hundreds.
        let mixed = sql.withUTF8 { bytes -> UInt64 in
            var mixed = UInt64(bytes.count)
            guard bytes.count >= 32, let base = bytes.baseAddress else {
                for byte in bytes { mixed = (mixed ^ UInt64(byte)) &* 0x100_0000_01B3 }
                return mixed
            }
            let raw = UnsafeRawPointer(base)
            for offset in stride(from: 0, to: 32, by: 8) {
                mixed = (mixed ^ raw.loadUnaligned(fromByteOffset: offset, as: UInt64.self)) &* 0x9E37_79B9_7F4A_7C15
                mixed =
                    (mixed ^ raw.loadUnaligned(fromByteOffset: bytes.count - 8 - offset, as: UInt64.self))
                    &* 0x9E37_79B9_7F4A_7C15
            }
            return mixed
        }
        hasher.combine(mixed)
    }
}
