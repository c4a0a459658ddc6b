import CSQLite

/// A failure of the store: which operation failed, and SQLite's result code and message.
///
/// The text names the operation and, for opening, the file; it never contains stored data.
public struct StoreError: Error, CustomStringConvertible, Sendable {
    /// What the store was doing, such as "accept" or "open /var/lib/scrm-notify/scrm-notify.sqlite".
    public let operation: String
    /// SQLite's extended result code, or 0 when the failure did not come from SQLite.
    public let code: Int32
    /// SQLite's message (or the store's own, when `code` is 0).
    public let message: String

    /// Makes an error from its parts.
    public init(operation: String, code: Int32, message: String) {
        self.operation = operation
        self.code = code
        self.message = message
    }

    /// SQLite's primary result code (the low byte of the extended code).
    public var primaryCode: Int32 { code & 0xFF }

    /// Whether the disk (or the database's page limit) is full.
    public var isFull: Bool { primaryCode == SQLITE_FULL }

    /// Whether the file, its folder or the connection only allows reading.
    public var isReadOnly: Bool { primaryCode == SQLITE_READONLY }

    /// Whether another process held the database longer than the busy timeout.
    public var isBusy: Bool { primaryCode == SQLITE_BUSY || primaryCode == SQLITE_LOCKED }

    /// Whether trying again later may succeed (busy, full disk, I/O error), as opposed to a bug or a bad file.
    public var mayRetry: Bool { isBusy || isFull || primaryCode == SQLITE_IOERR }

    /// One line for logs and HTTP 503 bodies.
    public var description: String {
        code == 0
            ? "storage: \(operation) failed: \(message)"
            : "storage: \(operation) failed: \(message) (SQLite code \(code))"
    }

    /// The error of the last failed call on `db`.
    static func sqlite(_ operation: String, _ db: OpaquePointer?, code: Int32) -> StoreError {
        let message =
            db.flatMap { sqlite3_errmsg($0) }.map { String(cString: $0) } ?? String(cString: sqlite3_errstr(code))
        return StoreError(operation: operation, code: code, message: message)
    }

    /// The error of an operation on a store that was closed.
    static func closed(_ operation: String) -> StoreError {
        StoreError(operation: operation, code: SQLITE_MISUSE, message: "the store is closed")
    }
}
