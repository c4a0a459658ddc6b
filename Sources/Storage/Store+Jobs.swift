import Foundation

extension Store {
    /// The columns `job(from:)` reads, in its order.
    static let jobColumns = """
        id, key, rule, entry, channel, order_key, event_id, due_at, state, attempts, next_attempt_at, reason, \
        payload, created_at, updated_at, sent_at
        """

    /// The earliest run time of a planned job, found in the partial index (see `claimDueSQL`).
    static let nextDueSQL = "SELECT min(run_at) FROM jobs INDEXED BY jobs_due WHERE state = 'planned'"

    /// The planned jobs of one appointment. INDEXED BY because, without statistics, SQLite takes jobs_by_state
    /// and reads every planned job in the store to find one appointment's few: with a million pending
    /// reminders, every push paid for a million rows.
    static let pendingJobsSQL = """
        SELECT \(jobColumns) FROM jobs INDEXED BY jobs_by_order WHERE order_key = ? AND state = 'planned'
        ORDER BY due_at, id
        """

    /// Commits a plan in one transaction: creates its new jobs, cancels and reschedules the listed jobs that are
    /// still planned, and marks the event planned.
    ///
    /// A new job whose key exists already is not created again, whatever that job's state, with one exception:
    /// a job cancelled by an earlier plan (not by an operator or at send time) is planned again under its old id,
    /// with the new job's due time, state, reason and payload. A key that was sent is never planned again.
    /// - Throws: `StoreError` when a new job's state is not planned, skipped or missed, or SQLite fails; then
    ///   nothing of the plan is stored.
    public func commitPlan(_ plan: PlanCommit) throws(StoreError) {
        try commitPlans([plan])
    }

    /// Commits several plans in one transaction (one disk sync), in order; see `commitPlan`.
    public func commitPlans(_ plans: [PlanCommit]) throws(StoreError) {
        for plan in plans { try Self.validate(plan) }
        guard !plans.isEmpty else { return }
        try write("commit plan") { connection throws(StoreError) in
            for plan in plans { try Self.apply(plan, on: connection) }
        }
    }

    /// Refuses a plan that would create a job in a state other than planned, skipped or missed.
    static func validate(_ plan: PlanCommit) throws(StoreError) {
        for job in plan.newJobs where ![.planned, .skipped, .missed].contains(job.state) {
            throw StoreError(
                operation: "commit plan", code: 0,
                message: "new job \(job.id) has state \(job.state.rawValue); only planned, skipped or missed can be new"
            )
        }
    }

    /// Creates a plan's new job, or revives a job of its key that an earlier plan cancelled. A claimed job is
    /// stored in `sending` with one more attempt, as `claimDue` leaves it.
    static let insertJobSQL = """
        INSERT INTO jobs (id, key, rule, entry, channel, order_key, event_id, due_at, run_at, state,
            attempts, reason, payload, created_at, updated_at, claimed_at)
        VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?8, ?9, ?13, ?10, ?11, ?12, ?12, ?14)
        ON CONFLICT (key) DO UPDATE SET channel = excluded.channel, event_id = excluded.event_id,
            due_at = excluded.due_at, run_at = excluded.run_at, state = excluded.state,
            next_attempt_at = NULL, reason = excluded.reason, payload = excluded.payload,
            updated_at = excluded.updated_at, revivable = 0, attempts = jobs.attempts + excluded.attempts,
            claimed_at = excluded.claimed_at
        WHERE jobs.state = 'cancelled' AND jobs.revivable = 1
        """

    /// `insertJobSQL` returning the row stored, for a claim. SQL built once: the statement cache compares texts,
    /// and one put together for every push was a new string to hash and compare each time.
    static let insertJobReturningSQL = insertJobSQL + " RETURNING \(jobColumns)"

    /// Whether a planned job is due by the given time: an inline claim must not overtake it.
    static let dueWaitingSQL = "SELECT 1 FROM jobs INDEXED BY jobs_due WHERE state = 'planned' AND run_at <= ? LIMIT 1"

    static func apply(_ plan: PlanCommit, on connection: Connection) throws(StoreError) {
        let at = SQLValue.time(plan.at)
        var claimable = 0
        if let claim = plan.claim {
            claim.jobs = []
            if claim.limit > 0, plan.newJobs.contains(where: { $0.isClaimable(by: plan.at) }) {
                let waiting = try connection.query(dueWaitingSQL, [at], operation: "commit plan") { $0.int(0) }
                if waiting.isEmpty { claimable = claim.limit }
            }
        }
        for job in plan.newJobs {
            let claims = claimable > 0 && job.isClaimable(by: plan.at)
            let values: [SQLValue] = [
                .text(job.id), .text(job.key), .text(job.rule), .int(Int64(job.entry)), .text(job.channel),
                .text(job.orderKey), .text(job.eventID), .time(job.dueAt),
                .text(claims ? JobState.sending.rawValue : job.state.rawValue), .text(job.reason), .blob(job.payload),
                at, .int(claims ? 1 : 0), claims ? at : .null,
            ]
            guard claims, let claim = plan.claim else {
                try connection.run(insertJobSQL, values, operation: "commit plan")
                continue
            }
            // A key that exists and may not be revived returns no row, and is not claimed.
            let stored = try connection.query(
                insertJobReturningSQL, values, operation: "commit plan", row: Self.job(from:))
            claim.jobs.append(contentsOf: stored)
            claimable -= stored.count
        }
        for (jobID, reason) in plan.cancel {
            try connection.run(
                """
                UPDATE jobs SET state = 'cancelled', reason = ?, updated_at = ?, revivable = 1
                WHERE id = ? AND state = 'planned'
                """,
                [.text(reason), at, .text(jobID)], operation: "commit plan")
        }
        for (jobID, dueAt) in plan.reschedule {
            // A pending retry keeps its later time: the gateway asked to wait.
            try connection.run(
                """
                UPDATE jobs SET due_at = ?1, run_at = max(?1, coalesce(next_attempt_at, ?1)), updated_at = ?2
                WHERE id = ?3 AND state = 'planned'
                """,
                [.time(dueAt), at, .text(jobID)], operation: "commit plan")
        }
        if let eventID = plan.eventID {
            try connection.run("DELETE FROM unplanned WHERE id = ?", [.text(eventID)], operation: "commit plan")
        }
    }

    /// The planned jobs (first attempts and retries) of appointment `orderKey`, by due time, for re-planning.
    public func pendingJobs(orderKey: String) throws(StoreError) -> [Job] {
        try read { connection throws(StoreError) in
            try connection.query(
                Self.pendingJobsSQL, [.text(orderKey)], operation: "read pending jobs", row: Self.job(from:))
        }
    }

    /// Every planned job, by run time. Loads them all: for tests and small stores; re-planning pages through
    /// `pendingOrderKeys(after:limit:)` instead.
    public func allPendingJobs() throws(StoreError) -> [Job] {
        try read { connection throws(StoreError) in
            try connection.query(
                "SELECT \(Self.jobColumns) FROM jobs INDEXED BY jobs_due WHERE state = 'planned' ORDER BY run_at",
                operation: "read pending jobs", row: Self.job(from:))
        }
    }

    /// Up to `limit` appointments that have planned jobs, in key order, starting after `after` (nil: from the
    /// first), so that a re-plan of a large store walks it in pages without holding every job in memory.
    public func pendingOrderKeys(after: String?, limit: Int) throws(StoreError) -> [String] {
        try read { connection throws(StoreError) in
            try connection.query(
                """
                SELECT DISTINCT order_key FROM jobs INDEXED BY jobs_by_order
                WHERE order_key > ? AND state = 'planned' ORDER BY order_key LIMIT ?
                """,
                [.text(after ?? ""), .int(Int64(limit))], operation: "read pending appointments"
            ) { $0.text(0) }
        }
    }

    /// When the earliest planned job may run (its due time, or its retry time), or nil when none is planned.
    public func nextDueTime() throws(StoreError) -> Date? {
        try read { connection throws(StoreError) in
            try connection.query(
                Self.nextDueSQL, operation: "read next due time", row: { $0.optionalDate(0) }
            ).first ?? nil
        }
    }

    /// Up to `limit` jobs, filtered by appointment and state when given, by due time.
    public func jobs(orderKey: String?, state: JobState?, limit: Int) throws(StoreError) -> [Job] {
        var conditions: [String] = []
        var values: [SQLValue] = []
        if let orderKey {
            conditions.append("order_key = ?")
            values.append(.text(orderKey))
        }
        if let state {
            conditions.append("state = ?")
            values.append(.text(state.rawValue))
        }
        // One appointment's jobs are few; the jobs of one state may be nearly all of them.
        let index = orderKey == nil ? "" : " INDEXED BY jobs_by_order"
        let filter = conditions.isEmpty ? "" : "WHERE " + conditions.joined(separator: " AND ")
        values.append(.int(Int64(limit)))
        return try read { connection throws(StoreError) in
            try connection.query(
                "SELECT \(Self.jobColumns) FROM jobs\(index) \(filter) ORDER BY due_at, id LIMIT ?", values,
                operation: "list jobs", row: Self.job(from:))
        }
    }

    /// The recorded attempts of job `jobID`, first first.
    public func attempts(jobID: String) throws(StoreError) -> [Attempt] {
        try read { connection throws(StoreError) in
            try connection.query(
                """
                SELECT job_id, number, at, outcome, reason, duration_ms FROM attempts WHERE job_id = ?
                ORDER BY number
                """,
                [.text(jobID)], operation: "read attempts"
            ) { row in
                Attempt(
                    jobID: row.text(0), number: Int(row.int(1)), at: row.date(2), outcome: row.text(3),
                    reason: row.optionalText(4), durationMs: Int(row.int(5)))
            }
        }
    }

    /// How many jobs are in each state; every state is present, with 0 when it has none.
    public func countsByState() throws(StoreError) -> [JobState: Int] {
        let rows = try read { connection throws(StoreError) in
            try connection.query("SELECT state, count(*) FROM jobs GROUP BY state", operation: "count jobs") {
                ($0.text(0), Int($0.int(1)))
            }
        }
        var counts = Dictionary(uniqueKeysWithValues: JobState.allCases.map { ($0, 0) })
        for (state, count) in rows {
            if let state = JobState(rawValue: state) { counts[state] = count }
        }
        return counts
    }

    /// The job in the current row of a query that selected `jobColumns`.
    static func job(from row: Row) -> Job {
        Job(
            id: row.text(0), key: row.text(1), rule: row.text(2), entry: Int(row.int(3)), channel: row.text(4),
            orderKey: row.optionalText(5), eventID: row.text(6), dueAt: row.date(7),
            // The CHECK constraint keeps the column to JobState's raw values.
            state: JobState(rawValue: row.text(8)) ?? .failed, attempts: Int(row.int(9)),
            nextAttemptAt: row.optionalDate(10), reason: row.optionalText(11), payload: row.blob(12),
            createdAt: row.date(13), updatedAt: row.date(14), sentAt: row.optionalDate(15))
    }
}
