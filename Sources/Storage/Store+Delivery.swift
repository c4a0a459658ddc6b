import Foundation

extension Store {
    /// The due planned jobs, earliest first. INDEXED BY because, without statistics, SQLite would rather take
    /// jobs_by_state and sort every planned job.
    static let claimDueSQL = """
        SELECT \(jobColumns) FROM jobs INDEXED BY jobs_due WHERE state = 'planned' AND run_at <= ?
        ORDER BY run_at LIMIT ?
        """

    /// Atomically claims up to `limit` planned jobs whose run time is at or before `now`: each moves to `sending`
    /// with one more attempt. Returns them as claimed, earliest run time first.
    public func claimDue(now: Date, limit: Int) throws(StoreError) -> [Job] {
        let at = Milliseconds.from(now)
        return try write("claim due jobs") { connection throws(StoreError) in
            let due = try connection.query(
                Self.claimDueSQL, [.int(at), .int(Int64(limit))], operation: "claim due jobs", row: Self.job(from:))
            var claimed: [Job] = []
            for var job in due {
                try connection.run(
                    """
                    UPDATE jobs SET state = 'sending', attempts = attempts + 1, claimed_at = ?1, updated_at = ?1
                    WHERE id = ?2
                    """,
                    [.int(at), .text(job.id)], operation: "claim due jobs")
                job.state = .sending
                job.attempts += 1
                job.updatedAt = Milliseconds.date(at)
                claimed.append(job)
            }
            return claimed
        }
    }

    /// Records how an attempt at job `jobID` ended, at `at`: an attempt row (number, time, outcome, reason,
    /// duration since the claim) and the job's new state.
    ///
    /// A retry puts the job back to `planned`, to run at the retry time. An outcome for a job that was not
    /// claimed (say, found too late) counts as an attempt of its own.
    /// - Throws: `StoreError` when there is no such job.
    public func finish(jobID: String, outcome: JobOutcome, at: Date) throws(StoreError) {
        try write("finish job \(jobID)", Self.finishing(jobID: jobID, outcome: outcome, at: at))
    }

    /// Records an attempt's end as `finish(jobID:outcome:at:)` does, but returns at once: `completion` gets the
    /// result once it is on the disk, on the thread that synced it. A sender awaiting it holds no thread.
    public func finish(
        jobID: String, outcome: JobOutcome, at: Date, completion: @escaping @Sendable (StoreError?) -> Void
    ) {
        write("finish job \(jobID)", Self.finishing(jobID: jobID, outcome: outcome, at: at)) { result in
            if case .failure(let error) = result { return completion(error) }
            completion(nil)
        }
    }

    /// The write that records how an attempt at job `jobID` ended.
    private static func finishing(
        jobID: String, outcome: JobOutcome, at: Date
    ) -> (Connection) throws(StoreError) -> Void {
        let operation = "finish job \(jobID)"
        let now = Milliseconds.from(at)
        let change = Change(outcome)
        return { connection throws(StoreError) in
            let found = try connection.query(
                "SELECT attempts, claimed_at FROM jobs WHERE id = ?", [.text(jobID)], operation: operation
            ) { ($0.int(0), $0.isNull(1) ? nil : $0.int(1)) }
            guard let (attempts, claimedAt) = found.first else {
                throw StoreError(operation: operation, code: 0, message: "there is no such job")
            }
            let number = claimedAt == nil ? attempts + 1 : max(attempts, 1)
            try connection.run(
                """
                UPDATE jobs SET state = ?1, reason = ?2, run_at = coalesce(?3, run_at),
                    next_attempt_at = coalesce(?3, next_attempt_at), sent_at = coalesce(?4, sent_at),
                    attempts = ?5, claimed_at = NULL, updated_at = ?6
                WHERE id = ?7
                """,
                [
                    .text(change.state.rawValue), .text(change.jobReason), .time(change.runAt),
                    change.sent ? .int(now) : .null, .int(number), .int(now), .text(jobID),
                ], operation: operation)
            try connection.run(
                """
                INSERT INTO attempts (job_id, number, at, outcome, reason, duration_ms) VALUES (?, ?, ?, ?, ?, ?)
                ON CONFLICT (job_id, number) DO UPDATE SET at = excluded.at, outcome = excluded.outcome,
                    reason = excluded.reason, duration_ms = excluded.duration_ms
                """,
                [
                    .text(jobID), .int(number), .int(now), .text(change.outcome), .text(change.attemptReason),
                    .int(max(0, now - (claimedAt ?? now))),
                ], operation: operation)
        }
    }

    /// Puts jobs left in `sending` by a crash back to `planned`, recording an "interrupted" attempt at `at` for
    /// each. Run at start, before any worker claims: delivery is at least once. Returns how many it put back.
    public func recoverInterrupted(at: Date = Date()) throws(StoreError) -> Int {
        let now = Milliseconds.from(at)
        return try write("recover interrupted jobs") { connection throws(StoreError) in
            let interrupted = try connection.query(
                "SELECT id, attempts, claimed_at FROM jobs WHERE state = 'sending'",
                operation: "recover interrupted jobs"
            ) { ($0.text(0), $0.int(1), $0.isNull(2) ? now : $0.int(2)) }
            for (id, number, claimedAt) in interrupted {
                try connection.run(
                    """
                    INSERT INTO attempts (job_id, number, at, outcome, reason, duration_ms)
                    VALUES (?, ?, ?, 'interrupted', 'the process stopped while sending', ?)
                    ON CONFLICT (job_id, number) DO NOTHING
                    """,
                    [.text(id), .int(number), .int(now), .int(max(0, now - claimedAt))],
                    operation: "recover interrupted jobs")
            }
            return try connection.run(
                "UPDATE jobs SET state = 'planned', claimed_at = NULL, updated_at = ? WHERE state = 'sending'",
                [.int(now)], operation: "recover interrupted jobs")
        }
    }

    /// Puts claimed job `jobID` back to `planned`, to run at `until`, without counting the claim as an attempt:
    /// the worker chose not to send yet (say, quiet hours began). Like a retry, `until` governs from now on.
    /// Returns whether the job was in `sending`.
    @discardableResult
    public func postpone(jobID: String, until: Date, reason: String, at: Date) throws(StoreError) -> Bool {
        try write("postpone job \(jobID)") { connection throws(StoreError) in
            try connection.run(
                """
                UPDATE jobs SET state = 'planned', run_at = ?1, next_attempt_at = ?1, reason = ?2,
                    attempts = max(attempts - 1, 0), claimed_at = NULL, updated_at = ?3
                WHERE id = ?4 AND state = 'sending'
                """,
                [.time(until), .text(reason), .time(at), .text(jobID)], operation: "postpone job \(jobID)") == 1
        }
    }

    /// Cancels one appointment's planned jobs; INDEXED BY for the reason given at `pendingJobsSQL`.
    static let cancelByOrderSQL = """
        UPDATE jobs INDEXED BY jobs_by_order SET state = 'cancelled', reason = ?, updated_at = ?
        WHERE order_key = ? AND state = 'planned'
        """

    /// Cancels the planned jobs of appointment `orderKey` with `reason`; returns how many.
    public func cancel(orderKey: String, reason: String, at: Date) throws(StoreError) -> Int {
        try write("cancel jobs") { connection throws(StoreError) in
            try connection.run(
                Self.cancelByOrderSQL,
                [.text(reason), .time(at), .text(orderKey)], operation: "cancel jobs")
        }
    }

    /// Puts every failed job back to `planned`, to run at `at` (its `nextAttemptAt`); its due time, attempts and
    /// last reason are kept. Returns how many.
    public func retryFailed(at: Date) throws(StoreError) -> Int {
        try write("retry failed jobs") { connection throws(StoreError) in
            try connection.run(
                """
                UPDATE jobs SET state = 'planned', run_at = ?1, next_attempt_at = ?1, updated_at = ?1
                WHERE state = 'failed'
                """,
                [.time(at)], operation: "retry failed jobs")
        }
    }
}

/// What `finish` writes for one outcome.
private struct Change {
    var state: JobState
    var outcome: String
    var jobReason: String?
    var attemptReason: String?
    var runAt: Date?
    var sent = false

    init(_ outcome: JobOutcome) {
        switch outcome {
        case .sent(let detail):
            self.init(state: .sent, outcome: "sent", jobReason: nil, attemptReason: detail, sent: true)
        case .retry(let reason, let at):
            self.init(state: .planned, outcome: "retry", jobReason: reason, attemptReason: reason, runAt: at)
        case .failed(let reason):
            self.init(state: .failed, outcome: "failed", jobReason: reason, attemptReason: reason)
        case .missed(let reason):
            self.init(state: .missed, outcome: "missed", jobReason: reason, attemptReason: reason)
        case .cancelled(let reason):
            self.init(state: .cancelled, outcome: "cancelled", jobReason: reason, attemptReason: reason)
        }
    }

    private init(
        state: JobState, outcome: String, jobReason: String?, attemptReason: String?, runAt: Date? = nil,
        sent: Bool = false
    ) {
        self.state = state
        self.outcome = outcome
        self.jobReason = jobReason
        self.attemptReason = attemptReason
        self.runAt = runAt
        self.sent = sent
    }
}
