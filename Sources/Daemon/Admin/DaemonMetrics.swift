import Foundation
import Storage
import Telemetry

/// The daemon's metrics, named after Prometheus conventions; the registry renders them for `GET /metrics`.
final class DaemonMetrics: Sendable {
    /// Every result a push can have, each exported from the start so that `rate()` sees the first one.
    static let eventResults = ["accepted", "duplicate", "malformed", "bad_signature", "store_failed"]
    /// Where the metrics live; rendered by `GET /metrics`.
    let registry: MetricsRegistry
    private let sendBuckets: [Double] = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30]
    /// The push counters by result, looked up once: every push counts one, from many threads at once.
    private let eventCounters: [String: Counter]
    /// The notification counters and send-duration histograms, looked up once each.
    private let sendSeries = SendSeries()

    /// Metrics in `registry`, with the push counters at zero and the build's version published.
    init(registry: MetricsRegistry = MetricsRegistry()) {
        self.registry = registry
        var counters: [String: Counter] = [:]
        for result in Self.eventResults { counters[result] = Self.eventsCounter(registry, result) }
        eventCounters = counters
        registry.gauge(
            "scrm_notify_build_info", help: "Always 1; the version is in the label.",
            labels: ["version": CommandLineTool.version]
        ).set(1)
    }

    private static func eventsCounter(_ registry: MetricsRegistry, _ result: String) -> Counter {
        registry.counter(
            "scrm_notify_events_received_total", help: "Pushes received, by result.", labels: ["result": result])
    }

    /// Counts one push by result: accepted, duplicate, malformed, bad_signature, store_failed.
    func eventsReceived(result: String) {
        (eventCounters[result] ?? Self.eventsCounter(registry, result)).increment(by: 1)
    }

    /// Counts one notification result (sent, retry, failed, missed, cancelled, skipped) and, for a real send
    /// attempt, observes its latency.
    func notification(channel: String, result: String, seconds: Double) {
        sendSeries.counter(channel: channel, result: result) {
            registry.counter(
                "scrm_notify_notifications_total",
                help:
                    "Notifications settled or retried, by channel and result "
                    + "(sent, retry, failed, missed, cancelled, skipped).",
                labels: ["channel": channel, "result": result])
        }.increment(by: 1)
        if result == "sent" || result == "retry" || result == "failed" {
            sendSeries.duration(channel: channel) {
                registry.histogram(
                    "scrm_notify_send_duration_seconds", help: "Time taken by one send attempt.",
                    labels: ["channel": channel], buckets: sendBuckets)
            }.observe(seconds)
        }
    }

    /// Records a reload and whether it succeeded.
    func reloaded(success: Bool, rules: Int, at date: Date) {
        registry.gauge("scrm_notify_config_last_reload_successful", help: "Whether the last reload succeeded.")
            .set(success ? 1 : 0)
        registry.gauge(
            "scrm_notify_config_last_reload_timestamp_seconds", help: "When the last reload was tried."
        ).set(date.timeIntervalSince1970)
        if success {
            registry.gauge("scrm_notify_rules_loaded", help: "Rules currently loaded.").set(Double(rules))
        }
    }

    /// Publishes gauges read from the store at scrape time.
    func watch(store: Store) {
        let counts = JobCounts(store: store)
        registry.onScrape { counts.read() }
        for state in JobState.allCases {
            registry.gaugeFunction(
                "scrm_notify_jobs", help: "Notifications in the store, by state.", labels: ["state": state.rawValue]
            ) { Double(counts.latest[state] ?? 0) }
        }
        registry.gaugeFunction("scrm_notify_store_size_bytes", help: "Size of the SQLite store.", labels: [:]) {
            Double(store.sizeInBytes())
        }
    }
}

/// Job counts by state, read once per scrape: the gauges of every state share one query, which counts a
/// million jobs in tens of milliseconds.
private final class JobCounts: @unchecked Sendable {
    let store: Store
    // `lock` guards `counts`.
    private let lock = NSLock()
    private var counts: [JobState: Int] = [:]

    init(store: Store) { self.store = store }

    /// Reads the counts from the store; runs at the start of each scrape.
    func read() {
        let fresh = (try? store.countsByState()) ?? [:]
        lock.withLock { counts = fresh }
    }

    /// The counts of the current scrape.
    var latest: [JobState: Int] { lock.withLock { counts } }
}

/// The series a send counts in, each found in the registry at its first use. The registry finds a series by
/// building, sorting and hashing its labels under its lock: twice a send, 0.8 % of the daemon's CPU time under
/// load.
private final class SendSeries: @unchecked Sendable {
    struct Key: Hashable {
        let channel: String
        let result: String
    }

    // `lock` guards `counters` and `durations`.
    private let lock = NSLock()
    private var counters: [Key: Counter] = [:]
    private var durations: [String: Histogram] = [:]

    /// The counter of `channel` and `result`; `register` finds it in the registry the first time.
    func counter(channel: String, result: String, register: () -> Counter) -> Counter {
        let key = Key(channel: channel, result: result)
        return lock.withLock {
            if let counter = counters[key] { return counter }
            let counter = register()
            counters[key] = counter
            return counter
        }
    }

    /// The send-duration histogram of `channel`; `register` finds it in the registry the first time.
    func duration(channel: String, register: () -> Histogram) -> Histogram {
        lock.withLock {
            if let histogram = durations[channel] { return histogram }
            let histogram = register()
            durations[channel] = histogram
            return histogram
        }
    }
}
