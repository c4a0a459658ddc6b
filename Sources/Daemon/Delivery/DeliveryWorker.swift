import Channels
import Events
import Foundation
import JSON
import Rules
import Storage
import Telemetry

/// Sends one claimed job: checks it is still wanted, renders it on the appointment's latest state, sends it
/// through its channel, and commits the attempt and its result.
final class DeliveryWorker: Sendable {
    let store: Store
    let clock: any Clock
    let shopClock: ShopClock
    /// Decoded events shared by the planner and the senders.
    let events: EventCache
    let runtime: RuntimeHolder
    let deliverer: Deliverer
    let retryPolicy: RetryPolicy
    let logger: Logger
    let metrics: DaemonMetrics

    init(
        store: Store, clock: any Clock, events: EventCache, runtime: RuntimeHolder, deliverer: Deliverer,
        retryPolicy: RetryPolicy, logger: Logger, metrics: DaemonMetrics
    ) {
        self.store = store
        self.clock = clock
        self.shopClock = events.shopClock
        self.events = events
        self.runtime = runtime
        self.deliverer = deliverer
        self.retryPolicy = retryPolicy
        self.logger = logger
        self.metrics = metrics
    }

    /// Settles `job`, records the result and then calls `settled`, once: on the thread that made the result
    /// durable, or on this one when there was nothing to record. Never throws.
    ///
    /// Returns once the send has started: its answer is judged and recorded on the HTTP client's thread
    /// (`Deliverer.start`), which spares a delivery thread a second wake-up for every send.
    func deliver(_ job: Job, settled: @escaping @Sendable () -> Void) async {
        let log = log(for: job)
        let started = clock.now()
        if let missed = missedReason(job, now: started) {
            return conclude(.missed(reason: missed), job: job, started: started, log: log, settled: settled)
        }
        if let until = quietUntil(job, now: started) {
            postpone(job, until: until, log: log)
            return settled()
        }
        guard let latest = latestEvent(for: job) else {
            let outcome = JobOutcome.failed(reason: "the event of this job is no longer readable")
            return conclude(outcome, job: job, started: started, log: log, settled: settled)
        }
        switch prepare(job, latest, runtime.current) {
        case .settled(let outcome):
            conclude(outcome, job: job, started: started, log: log, settled: settled)
        case .send(let channel, let payload, let context):
            let answered = answered(job, channel, started: started, log: log, settled: settled)
            await deliverer.start(channel: channel, payload: payload, context: context, completion: answered)
        }
    }

    /// Settles `job` as `deliver` does, on the calling thread, when nothing about it needs waiting: its
    /// appointment's latest event is held decoded in memory, and it is not late, in quiet hours or held back by a
    /// rate limit. Returns false, having done nothing, otherwise; `deliver` then settles it on a delivery thread.
    ///
    /// Nearly every send under load is of that kind, and starting it on the scheduler's thread spares a delivery
    /// thread's wake-up and the lock contention of sixteen threads, each for only a few microseconds of work.
    func deliverAtOnce(_ job: Job, settled: @escaping @Sendable () -> Void) -> Bool {
        let started = clock.now()
        guard missedReason(job, now: started) == nil, quietUntil(job, now: started) == nil,
            let latest = heldLatestEvent(for: job)
        else { return false }
        let log = log(for: job)
        switch prepare(job, latest, runtime.current) {
        case .settled(let outcome):
            conclude(outcome, job: job, started: started, log: log, settled: settled)
            return true
        case .send(let channel, let payload, let context):
            let answered = answered(job, channel, started: started, log: log, settled: settled)
            return deliverer.startAtOnce(channel: channel, payload: payload, context: context, completion: answered)
        }
    }

    private func log(for job: Job) -> Logger {
        logger.with(["job": job.id, "rule": job.rule, "channel": job.channel, "event.id": job.eventID])
    }

    /// What takes the channel's judgement of the send: the job's outcome, recorded.
    private func answered(
        _ job: Job, _ channel: any Channel, started: Date, log: Logger, settled: @escaping @Sendable () -> Void
    ) -> @Sendable (DeliveryOutcome) -> Void {
        { [self] delivery in
            conclude(
                outcome(of: delivery, job: job, channel: channel), job: job, started: started, log: log,
                settled: settled)
        }
    }

    /// Records `outcome`, then reports it and calls `settled`.
    private func conclude(
        _ outcome: JobOutcome, job: Job, started: Date, log: Logger, settled: @escaping @Sendable () -> Void
    ) {
        let finished = clock.now()
        record(outcome, job: job, at: finished, log: log) { [self] in
            report(outcome, job: job, log: log, seconds: finished.timeIntervalSince(started))
            settled()
        }
    }

    /// Why `job` is too late to send at `now`, or nil when it may go out.
    ///
    /// Grace bounds how late the first send may go out, measured from the due time, while the due time governs
    /// (no retry or postponement set a later run time). An attempt cut short by a stop never ended, so a job
    /// recovered from `sending` still counts as a first send here.
    private func missedReason(_ job: Job, now: Date) -> String? {
        guard job.nextAttemptAt == nil else { return nil }
        let grace = Self.grace(of: job)
        let late = now.timeIntervalSince(job.dueAt)
        guard late > grace else { return nil }
        return "due \(stamp(job.dueAt)), \(Self.span(late)) late when the daemon could send it, "
            + "more than the rule's grace of \(Self.span(grace))"
    }

    /// The end of the channel's quiet hours when `now` lies inside them, else nil. Plans move due times out of
    /// the window already; this catches a job that became runnable inside it later (a retry, a restart after
    /// down-time, quiet hours added by a reload).
    private func quietUntil(_ job: Job, now: Date) -> Date? {
        guard let quiet = runtime.current.channels[job.channel]?.options.quietHours else { return nil }
        let end = quiet.adjust(now, timeZone: shopClock.timeZone)
        return end > now ? end : nil
    }

    private func postpone(_ job: Job, until: Date, log: Logger) {
        let reason = "quiet hours of channel \(job.channel): moved to \(stamp(until))"
        do {
            try store.postpone(jobID: job.id, until: until, reason: reason, at: clock.now())
            log.info("notification postponed", ["reason": reason])
        } catch {
            log.error("postponement not stored", ["error": "\(error)"])
        }
    }

    /// Commits the job's result, then calls `settled`; tries again while the store's failure may pass (full disk,
    /// I/O error, read-only file): a job left in `sending` would otherwise not be sent again before the next
    /// restart.
    ///
    /// Nothing waits for the commit: the store calls back once it is on the disk. A delivery thread blocked in
    /// each commit and its sync capped the sends at 16 a commit cycle; they fell behind the answers by more than
    /// the event cache holds (0 of 4,500-5,800 sends found their event, with 256 entries or 1,024), and every
    /// send decoded its event again. Awaiting the commit through a continuation freed the threads too, but woke
    /// one again for every result only to count and log it; the store's thread does that now.
    private func record(
        _ outcome: JobOutcome, job: Job, at finished: Date, log: Logger, pause: Double = 0.25,
        settled: @escaping @Sendable () -> Void
    ) {
        store.finish(jobID: job.id, outcome: outcome, at: finished) { [self] failure in
            guard let failure else { return settled() }
            log.error("send result not stored", ["error": "\(failure)"])
            guard failure.mayRetry || failure.isReadOnly else { return settled() }
            DispatchQueue.global().asyncAfter(deadline: .now() + pause) { [self] in
                record(outcome, job: job, at: finished, log: log, pause: min(pause * 2, 5), settled: settled)
            }
        }
    }

    /// What a job to send comes to before anything is sent: the channel, the rendered entry and its context, or
    /// the outcome when it is not to be sent after all.
    private enum Prepared {
        case send(any Channel, JSONValue, SendContext)
        case settled(JobOutcome)
    }

    /// The send of `job`, rendered on `latest`, its appointment's latest event.
    private func prepare(_ job: Job, _ latest: (id: String, event: EventCache.Entry), _ runtime: Runtime) -> Prepared {
        let now = clock.now()
        let eventID = latest.id
        let payload: JSONValue
        let event = latest.event.event
        // A webhook without a body of its own sends the event as stored, from the context.
        switch runtime.rules.recheck(rule: job.rule, entry: job.entry, event: event, now: now, eventBody: false) {
        case .send(let rendered): payload = rendered
        case .drop(let reason):
            return .settled(.cancelled(reason: "re-checked at send time on event \(eventID): \(reason)"))
        case .ruleGone: return .settled(.cancelled(reason: "rule \(job.rule) no longer exists"))
        }
        guard let channel = runtime.channels[job.channel] else {
            return .settled(.failed(reason: "channel \(job.channel) is not configured"))
        }
        let context = SendContext(jobID: job.id, now: now, event: event.envelope.json, eventBytes: latest.event.raw)
        return .send(channel, payload, context)
    }

    /// The job's outcome for the channel's judgement of the send: a retry at the time the policy and the
    /// channel's quiet hours give, or failed once that is past the channel's `max_age`.
    private func outcome(of delivery: DeliveryOutcome, job: Job, channel: any Channel) -> JobOutcome {
        switch delivery {
        case .delivered(let detail):
            return .sent(detail: detail)
        case .failed(let reason):
            return .failed(reason: reason)
        case .retry(let reason, let hint):
            let delay = retryPolicy.delay(afterAttempt: job.attempts, hint: hint)
            var next = clock.now() + Double(delay.components.seconds) + Double(delay.components.attoseconds) / 1e18
            if let quiet = channel.options.quietHours { next = quiet.adjust(next, timeZone: shopClock.timeZone) }
            let maxAge = Double(channel.options.maxAge.components.seconds)
            if next.timeIntervalSince(job.dueAt) > maxAge {
                return .failed(reason: "gave up after \(job.attempts) attempts (max_age): \(reason)")
            }
            return .retry(reason: reason, at: next)
        }
    }

    /// The rule's grace in seconds, kept with the job when it was planned (1 hour when absent).
    static func grace(of job: Job) -> Double {
        let record = (try? JSONValue.parse(job.payload)) ?? .null
        return record["grace"]?.doubleValue ?? 3600
    }

    /// A duration for people, its non-zero parts: "59m 30s", "2h", "1h 1s", "3d 4h".
    static func span(_ seconds: Double) -> String {
        let total = Int(seconds.rounded())
        let parts = [(total / 86400, "d"), (total % 86400 / 3600, "h"), (total % 3600 / 60, "m"), (total % 60, "s")]
        let shown = parts.filter { $0.0 > 0 }.map { "\($0.0)\($0.1)" }
        return shown.isEmpty ? "0s" : shown.joined(separator: " ")
    }

    private func stamp(_ date: Date) -> String { shopClock.format(date, pattern: "yyyy-MM-dd HH:mm:ss") }

    /// `latestEvent(for:)` from memory alone: nil when the store or the event cache would have to be read.
    private func heldLatestEvent(for job: Job) -> (id: String, event: EventCache.Entry)? {
        var id = job.eventID
        if let order = job.orderKey {
            guard let held = store.heldLatestEventID(orderKey: order) else { return nil }
            id = held
        }
        return events.cached(id).map { (id, $0) }
    }

    /// The latest event of the job's appointment (or the job's own event, without one), and its id.
    ///
    /// The id is looked up first: the event cache nearly always holds the event already, and reading its bytes
    /// out of the store for nothing was most of the lookup's cost.
    private func latestEvent(for job: Job) -> (id: String, event: EventCache.Entry)? {
        var id = job.eventID
        if let order = job.orderKey, let latest = try? store.latestEventID(orderKey: order) { id = latest }
        if let cached = events.cached(id) { return (id, cached) }
        guard let stored = try? store.event(id: id), let entry = events.entry(stored) else { return nil }
        return (id, entry)
    }

    private func report(_ outcome: JobOutcome, job: Job, log: Logger, seconds: Double) {
        switch outcome {
        case .sent:
            metrics.notification(channel: job.channel, result: "sent", seconds: seconds)
            log.info("notification sent", ["attempt": String(job.attempts)])
        case .retry(let reason, let at):
            metrics.notification(channel: job.channel, result: "retry", seconds: seconds)
            log.warning(
                "notification send failed, will retry",
                [
                    "attempt": String(job.attempts), "reason": reason,
                    "next": stamp(at),
                ])
        case .failed(let reason):
            metrics.notification(channel: job.channel, result: "failed", seconds: seconds)
            log.error("notification failed", ["attempt": String(job.attempts), "reason": reason])
        case .missed(let reason):
            metrics.notification(channel: job.channel, result: "missed", seconds: 0)
            log.warning("notification missed", ["reason": reason])
        case .cancelled(let reason):
            metrics.notification(channel: job.channel, result: "cancelled", seconds: 0)
            log.info("notification dropped", ["reason": reason])
        }
    }
}
