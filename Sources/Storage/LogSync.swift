import CSQLite
import Foundation

/// Makes committed transactions durable by syncing the write-ahead log, outside the writer's lock.
///
/// The writer runs with `synchronous = NORMAL`: SQLite's commit writes the batch's frames to the log and returns
/// without waiting for the disk, and no caller of the batch hears of it until this sync has returned. With
/// `FULL`, SQLite synced inside `COMMIT`, under the writer's lock, so the next batch could not begin until the
/// disk had answered: the writer was busy 95 % of the time at 64 connections, half of it waiting.
///
/// An fsync covers the file, whatever descriptor it is called on, so this keeps a descriptor of its own open on
/// the log. The log keeps its inode while any connection is open (SQLite truncates it, it does not replace it);
/// should it be replaced anyway, the sync opens the new one.
final class LogSync: @unchecked Sendable {
    /// The log's path, `<database>-wal`.
    let path: String
    /// Guards `descriptor`; held for the sync, so that `close` never closes a descriptor in use.
    private let lock = NSLock()
    private var descriptor: Int32 = -1
    private var inode: ino_t = 0

    /// Opens the log of the database at `databasePath`, which must exist, and syncs its folder once so that the
    /// log's name is on the disk too.
    init(databasePath: String) throws(StoreError) {
        path = databasePath + "-wal"
        if let failure = lock.withLock({ reopen() }) { throw failure }
        let folder = (databasePath as NSString).deletingLastPathComponent
        let directory = open(folder.isEmpty ? "." : folder, O_RDONLY | O_CLOEXEC)
        if directory >= 0 {
            fsync(directory)
            Glibc.close(directory)
        }
    }

    deinit { close() }

    /// Waits until everything written to the log so far is on the disk; the error when it is not.
    func sync() -> StoreError? {
        lock.withLock { () -> StoreError? in
            guard descriptor >= 0 else { return StoreError.closed("sync the log") }
            var current = stat()
            if stat(path, &current) == 0, current.st_ino != inode, let failure = reopen() { return failure }
            guard fdatasync(descriptor) == 0 else { return failure("sync the log", errno) }
            return nil
        }
    }

    /// Closes the descriptor; a later sync fails with a "closed" error.
    func close() {
        lock.withLock {
            if descriptor >= 0 { Glibc.close(descriptor) }
            descriptor = -1
        }
    }

    /// Opens `path` in place of the descriptor held; the caller holds `lock`.
    private func reopen() -> StoreError? {
        let opened = open(path, O_RDONLY | O_CLOEXEC)
        guard opened >= 0 else { return failure("open the log \(path)", errno) }
        var info = stat()
        fstat(opened, &info)
        if descriptor >= 0 { Glibc.close(descriptor) }
        descriptor = opened
        inode = info.st_ino
        return nil
    }

    /// An I/O error, so that callers treat it as one that may pass (`StoreError.mayRetry`).
    private func failure(_ operation: String, _ number: Int32) -> StoreError {
        StoreError(operation: operation, code: SQLITE_IOERR, message: String(cString: strerror(number)))
    }
}
