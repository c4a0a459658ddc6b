import CSQLite
import Crypto

/// The key under which the inbox finds an event by its id: the first eight bytes of the id's SHA-256, as a signed
/// 64-bit integer.
///
/// The platform's event ids are random UUIDs, so every push writes one leaf of the index that finds them, at a
/// random place, and more when the leaf splits. Indexed whole (36 bytes or more), that index was a third of the
/// pages a push writes: 1.57-1.59 of 4.57-4.60 (`bench/ingest/frames.sh`). A leaf holds about four times as many
/// integers and splits less often: 1.16-1.18 pages, 4.05-4.06 in all. Two ids may share a key, so the inbox
/// compares the ids too; a digest rather than a fast hash, so that no one able to push can choose ids that pile
/// up under one key.
enum EventIDHash {
    /// The name of the SQL function that gives the key of its text argument, on every connection of the store.
    static let sqlFunction = "event_id_hash"

    /// The key of event id `id`.
    static func of(_ id: String) -> Int64 {
        var id = id
        return id.withUTF8 { of($0) }
    }

    /// The key of the event id whose UTF-8 bytes are `bytes`.
    static func of(_ bytes: UnsafeBufferPointer<UInt8>) -> Int64 {
        let digest = Digest.sha256(Array(bytes))
        return Int64(bitPattern: digest[0..<8].reduce(UInt64(0)) { $0 << 8 | UInt64($1) })
    }

    /// Makes `event_id_hash(text)` callable on `db`: the key of its argument, NULL for NULL. The migration that
    /// keyed the inbox this way calls it for the rows stored before, and queries that join another table's ids
    /// to the inbox call it for those ids. Returns SQLite's result code.
    static func register(on db: OpaquePointer) -> Int32 {
        sqlite3_create_function_v2(
            db, sqlFunction, 1, SQLITE_UTF8 | SQLITE_DETERMINISTIC | SQLITE_INNOCUOUS, nil,
            { context, count, arguments in
                // A C function: it captures nothing, and reaches the value only through its arguments.
                guard count == 1, let value = arguments?[0], let text = sqlite3_value_text(value) else {
                    sqlite3_result_null(context)
                    return
                }
                let bytes = UnsafeBufferPointer(start: text, count: Int(sqlite3_value_bytes(value)))
                sqlite3_result_int64(context, EventIDHash.of(bytes))
            }, nil, nil, nil)
    }
}
