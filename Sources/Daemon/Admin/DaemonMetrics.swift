import Foundation
import Storage
import Telemetry

/// The daemon's metrics, named after Prometheus conventions; the registry renders them for `GET /metrics`.
final class DaemonMetrics: Sendable {
    let registry: MetricsRegistry
    private let sendBuckets: [Double] = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30]

    init(registry: MetricsRegistry = MetricsRegistry()) {
        self.registry = registry
    }

    /// Counts one push by result: accepted, duplicate, malformed, bad_signature, store_failed.
    func eventsReceived(result: String) {
        registry.counter(
            "scrm_notify_events_received_total", help: "Pushes received, by result.", labels: ["result": result]
        ).increment(by: 1)
    }

    /// Counts one settled send attempt and observes its latency.
    func notification(channel: String, result: String, seconds: Double) {
        registry.counter(
            "scrm_notify_notifications_total", help: "Notification send attempts, by channel and result.",
            labels: ["channel": channel, "result": result]
        ).increment(by: 1)
        if result == "sent" || result == "retry" || result == "failed" {
            registry.histogram(
                "scrm_notify_send_duration_seconds", help: "Time taken by one send attempt.",
                labels: ["channel": channel], buckets: sendBuckets
            ).observe(seconds)
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
        for state in JobState.allCases {
            registry.gaugeFunction(
                "scrm_notify_jobs", help: "Notifications in the store, by state.", labels: ["state": state.rawValue]
            ) { Double((try? store.countsByState())?[state] ?? 0) }
        }
        registry.gaugeFunction("scrm_notify_store_size_bytes", help: "Size of the SQLite store.", labels: [:]) {
            Double(store.sizeInBytes())
        }
    }
}
