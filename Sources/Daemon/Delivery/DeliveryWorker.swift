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
    let runtime: RuntimeHolder
    let deliverer: Deliverer
    let retryPolicy: RetryPolicy
    let logger: Logger
    let metrics: DaemonMetrics

    init(
        store: Store, clock: any Clock, shopClock: ShopClock, runtime: RuntimeHolder, deliverer: Deliverer,
        retryPolicy: RetryPolicy, logger: Logger, metrics: DaemonMetrics
    ) {
        self.store = store
        self.clock = clock
        self.shopClock = shopClock
        self.runtime = runtime
        self.deliverer = deliverer
        self.retryPolicy = retryPolicy
        self.logger = logger
        self.metrics = metrics
    }

    /// Settles `job` and records the result; never throws.
    func deliver(_ job: Job) async {
        let log = logger.with(["job": job.id, "rule": job.rule, "channel": job.channel])
        let started = clock.now()
        let outcome = await attempt(job, log: log)
        let finished = clock.now()
        do {
            try store.finish(jobID: job.id, outcome: outcome, at: finished)
        } catch {
            log.error("send result not stored", ["error": "\(error)"])
        }
        report(outcome, job: job, log: log, seconds: finished.timeIntervalSince(started))
    }

    private func attempt(_ job: Job, log: Logger) async -> JobOutcome {
        let now = clock.now()
        let runtime = runtime.current
        let record = (try? JSONValue.parse(job.payload)) ?? .null
        let grace = record["grace"]?.doubleValue ?? 3600
        if job.attempts <= 1, now.timeIntervalSince(job.dueAt) > grace {
            return .missed(
                reason: "due \(shopClock.format(job.dueAt, pattern: "yyyy-MM-dd HH:mm:ss")), "
                    + "more than \(Int(grace))s late (grace) when the daemon could send it")
        }
        guard let stored = latestEvent(for: job), let event = try? Event.decode(stored.raw, clock: shopClock) else {
            return .failed(reason: "the event of this job is no longer readable")
        }
        let payload: JSONValue
        switch runtime.rules.recheck(rule: job.rule, entry: job.entry, event: event, now: now) {
        case .send(let rendered): payload = rendered
        case .drop(let reason): return .cancelled(reason: reason)
        case .ruleGone: return .cancelled(reason: "rule \(job.rule) no longer exists")
        }
        guard let channel = runtime.channels[job.channel] else {
            return .failed(reason: "channel \(job.channel) is not configured")
        }
        let context = SendContext(jobID: job.id, now: now, event: event.envelope.json)
        switch await deliverer.send(channel: channel, payload: payload, context: context) {
        case .delivered(let detail):
            return .sent(detail: detail)
        case .failed(let reason):
            return .failed(reason: reason)
        case .retry(let reason, let hint):
            let delay = retryPolicy.delay(afterAttempt: job.attempts, hint: hint)
            let next = clock.now() + Double(delay.components.seconds)
            let maxAge = Double(channel.options.maxAge.components.seconds)
            if next.timeIntervalSince(job.dueAt) > maxAge {
                return .failed(reason: "gave up after \(job.attempts) attempts (max_age): \(reason)")
            }
            return .retry(reason: reason, at: next)
        }
    }

    private func latestEvent(for job: Job) -> InboxEvent? {
        if let order = job.orderKey, let latest = try? store.latestEvent(orderKey: order) { return latest }
        return try? store.event(id: job.eventID)
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
                    "next": shopClock.format(at, pattern: "yyyy-MM-dd HH:mm:ss"),
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
