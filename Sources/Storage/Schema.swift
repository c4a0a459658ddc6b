/// The store's schema as an ordered list of migrations; `PRAGMA user_version` is the number applied.
///
/// Append new migrations at the end; never edit one that has shipped.
enum Schema {
    /// Migration `i` brings the file from version `i` to version `i + 1`.
    static let migrations: [String] = [
        """
        CREATE TABLE inbox (
            id TEXT PRIMARY KEY,
            received_at INTEGER NOT NULL,
            kind TEXT NOT NULL,
            order_key TEXT,
            raw BLOB NOT NULL,
            planned INTEGER NOT NULL DEFAULT 0
        );
        CREATE INDEX inbox_by_order ON inbox (order_key, received_at);
        CREATE INDEX inbox_unplanned ON inbox (received_at) WHERE planned = 0;

        CREATE TABLE jobs (
            id TEXT PRIMARY KEY,
            key TEXT NOT NULL,
            rule TEXT NOT NULL,
            entry INTEGER NOT NULL,
            channel TEXT NOT NULL,
            order_key TEXT,
            event_id TEXT NOT NULL,
            due_at INTEGER NOT NULL,
            run_at INTEGER NOT NULL,
            state TEXT NOT NULL
                CHECK (state IN ('planned', 'sending', 'sent', 'skipped', 'missed', 'failed', 'cancelled')),
            attempts INTEGER NOT NULL DEFAULT 0,
            next_attempt_at INTEGER,
            claimed_at INTEGER,
            reason TEXT,
            payload BLOB NOT NULL,
            created_at INTEGER NOT NULL,
            updated_at INTEGER NOT NULL,
            sent_at INTEGER
        );
        CREATE UNIQUE INDEX jobs_by_key ON jobs (key);
        CREATE INDEX jobs_due ON jobs (run_at) WHERE state = 'planned';
        CREATE INDEX jobs_by_order ON jobs (order_key);
        CREATE INDEX jobs_by_state ON jobs (state);

        CREATE TABLE attempts (
            job_id TEXT NOT NULL REFERENCES jobs (id) ON DELETE CASCADE,
            number INTEGER NOT NULL,
            at INTEGER NOT NULL,
            outcome TEXT NOT NULL,
            reason TEXT,
            duration_ms INTEGER NOT NULL,
            PRIMARY KEY (job_id, number)
        ) WITHOUT ROWID;
        """,
        // A job cancelled by a re-plan may be wanted again (the booking moved back, or was restored); one
        // cancelled by an operator or at send time stays cancelled.
        """
        ALTER TABLE jobs ADD COLUMN revivable INTEGER NOT NULL DEFAULT 0;
        """,
        // Which events await planning moves to a table of its own: marking a row of the inbox planned rewrote
        // the whole row, the event's raw bytes included, into the write-ahead log a second time.
        """
        CREATE TABLE unplanned (
            id TEXT PRIMARY KEY,
            received_at INTEGER NOT NULL
        );
        INSERT INTO unplanned (id, received_at) SELECT id, received_at FROM inbox WHERE planned = 0;
        CREATE INDEX unplanned_by_time ON unplanned (received_at);
        DROP INDEX inbox_unplanned;
        ALTER TABLE inbox DROP COLUMN planned;
        """,
        // The state's CHECK as a list of comparisons: SQLite built a temporary index of an IN list's seven
        // names for every statement that wrote a job's state, three per push, about 3 µs each. Changing a
        // CHECK means rebuilding the table (https://www.sqlite.org/lang_altertable.html), with the foreign keys
        // off (`migrate`), so that dropping the old table leaves the attempts that refer to it alone.
        """
        CREATE TABLE jobs_rebuilt (
            id TEXT PRIMARY KEY,
            key TEXT NOT NULL,
            rule TEXT NOT NULL,
            entry INTEGER NOT NULL,
            channel TEXT NOT NULL,
            order_key TEXT,
            event_id TEXT NOT NULL,
            due_at INTEGER NOT NULL,
            run_at INTEGER NOT NULL,
            state TEXT NOT NULL
                CHECK (state = 'planned' OR state = 'sending' OR state = 'sent' OR state = 'skipped'
                    OR state = 'missed' OR state = 'failed' OR state = 'cancelled'),
            attempts INTEGER NOT NULL DEFAULT 0,
            next_attempt_at INTEGER,
            claimed_at INTEGER,
            reason TEXT,
            payload BLOB NOT NULL,
            created_at INTEGER NOT NULL,
            updated_at INTEGER NOT NULL,
            sent_at INTEGER,
            revivable INTEGER NOT NULL DEFAULT 0
        );
        INSERT INTO jobs_rebuilt (rowid, id, key, rule, entry, channel, order_key, event_id, due_at, run_at, state,
            attempts, next_attempt_at, claimed_at, reason, payload, created_at, updated_at, sent_at, revivable)
        SELECT rowid, id, key, rule, entry, channel, order_key, event_id, due_at, run_at, state,
            attempts, next_attempt_at, claimed_at, reason, payload, created_at, updated_at, sent_at, revivable
        FROM jobs;
        DROP TABLE jobs;
        ALTER TABLE jobs_rebuilt RENAME TO jobs;
        CREATE UNIQUE INDEX jobs_by_key ON jobs (key);
        CREATE INDEX jobs_due ON jobs (run_at) WHERE state = 'planned';
        CREATE INDEX jobs_by_order ON jobs (order_key);
        CREATE INDEX jobs_by_state ON jobs (state);
        """,
        // The inbox finds an event by a 64-bit key of its id (`EventIDHash`) instead of the id itself: the index of
        // whole ids was a third of the pages a push wrote. Dropping the primary key means rebuilding the table;
        // the rows keep their rowids, which order the events of one appointment received in the same millisecond.
        // It copies every stored event once: 14 s for 229,000 events (830 MB) on the build machine, and the file
        // keeps the old table's pages, free for the rows to come (1.5 GB after it).
        """
        CREATE TABLE inbox_rebuilt (
            id TEXT NOT NULL,
            received_at INTEGER NOT NULL,
            kind TEXT NOT NULL,
            order_key TEXT,
            raw BLOB NOT NULL,
            id_hash INTEGER NOT NULL
        );
        INSERT INTO inbox_rebuilt (rowid, id, received_at, kind, order_key, raw, id_hash)
        SELECT rowid, id, received_at, kind, order_key, raw, event_id_hash(id) FROM inbox;
        DROP TABLE inbox;
        ALTER TABLE inbox_rebuilt RENAME TO inbox;
        CREATE INDEX inbox_by_id_hash ON inbox (id_hash);
        CREATE INDEX inbox_by_order ON inbox (order_key, received_at);
        """,
    ]

    /// Brings the database on `connection` up to the latest version, one transaction per migration, and leaves
    /// its foreign keys on.
    ///
    /// Returns how many migrations it applied. Another process may migrate at the same time, so the
    /// version is read again inside each write transaction.
    static func migrate(_ connection: Connection) throws(StoreError) -> Int {
        // A migration may rebuild a table that others refer to, which is done with the foreign keys off (SQLite
        // ignores the pragma inside a transaction); each migration is checked for dangling references instead.
        try connection.execute("PRAGMA foreign_keys = OFF", operation: "migrate")
        var applied = 0
        while try applyNext(connection) { applied += 1 }
        try connection.execute("PRAGMA foreign_keys = ON", operation: "migrate")
        return applied
    }

    /// Applies the migration after the file's version in a transaction of its own; false when there is none.
    private static func applyNext(_ connection: Connection) throws(StoreError) -> Bool {
        try connection.execute("BEGIN IMMEDIATE", operation: "migrate")
        do throws(StoreError) {
            let version = try userVersion(connection)
            if version > migrations.count {
                throw StoreError(
                    operation: "migrate", code: 0,
                    message: "the file has schema version \(version), newer than this program's \(migrations.count)"
                )
            }
            if version == migrations.count {
                try connection.execute("COMMIT", operation: "migrate")
                return false
            }
            let operation = "migrate to version \(version + 1)"
            try connection.execute(migrations[version], operation: operation)
            let dangling = try connection.query("PRAGMA foreign_key_check", operation: operation) { $0.text(0) }
            if let table = dangling.first {
                throw StoreError(operation: operation, code: 0, message: "rows of \(table) refer to rows that are gone")
            }
            try connection.execute("PRAGMA user_version = \(version + 1)", operation: "migrate")
            try connection.execute("COMMIT", operation: "migrate")
            return true
        } catch {
            try? connection.execute("ROLLBACK", operation: "migrate")
            throw error
        }
    }

    /// The file's `PRAGMA user_version`.
    static func userVersion(_ connection: Connection) throws(StoreError) -> Int {
        let rows = try connection.query("PRAGMA user_version", operation: "read schema version") { Int($0.int(0)) }
        return rows.first ?? 0
    }
}
