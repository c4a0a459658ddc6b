import Foundation

/// The process's metrics, rendered for Prometheus at `GET /metrics`.
///
/// Asking again for the same name and labels returns the same metric, so callers may look metrics up where they
/// use them or keep them. `lock` guards `families`; each metric has its own lock for its value, and scrape-time
/// functions run outside `lock`.
public final class MetricsRegistry: @unchecked Sendable {
    enum Kind: String {
        case counter, gauge, histogram
    }

    enum Series {
        case counter(Counter)
        case gauge(Gauge)
        case histogram(Histogram)
        case function(@Sendable () -> Double)
    }

    struct Family {
        let help: String
        let kind: Kind
        var series: [Labels: Series] = [:]
    }

    private let lock = NSLock()
    private var families: [String: Family] = [:]
    private var scrapeHooks: [@Sendable () -> Void] = []

    /// An empty registry.
    public init() {}

    /// The counter `name` with `labels`, created on first use.
    public func counter(_ name: String, help: String, labels: [String: String] = [:]) -> Counter {
        let series = register(name, help: help, kind: .counter, labels: labels) { .counter(Counter()) }
        guard case .counter(let counter) = series else { preconditionFailure("\(name) is not a counter") }
        return counter
    }

    /// The gauge `name` with `labels`, created on first use.
    public func gauge(_ name: String, help: String, labels: [String: String] = [:]) -> Gauge {
        let series = register(name, help: help, kind: .gauge, labels: labels) { .gauge(Gauge()) }
        guard case .gauge(let gauge) = series else { preconditionFailure("\(name) is a gauge computed at scrape") }
        return gauge
    }

    /// The histogram `name` with `labels`, created on first use with `buckets` (upper bounds; `+Inf` is added).
    public func histogram(_ name: String, help: String, labels: [String: String] = [:], buckets: [Double])
        -> Histogram
    {
        let series = register(name, help: help, kind: .histogram, labels: labels) {
            .histogram(Histogram(buckets: buckets))
        }
        guard case .histogram(let histogram) = series else { preconditionFailure("\(name) is not a histogram") }
        return histogram
    }

    /// Runs `body` at the start of every render, outside the registry's lock: where several scrape-time gauges
    /// share one expensive reading, the hook takes it once and the gauges read its result.
    public func onScrape(_ body: @escaping @Sendable () -> Void) {
        lock.withLock { scrapeHooks.append(body) }
    }

    /// A gauge whose value `body` computes at each scrape (e.g. jobs by state); registering again replaces it.
    /// `body` runs at each scrape outside the registry's lock, so it may itself use the registry.
    public func gaugeFunction(
        _ name: String, help: String, labels: [String: String] = [:], _ body: @escaping @Sendable () -> Double
    ) {
        let key = Labels(labels)
        lock.withLock {
            var family = checkedFamily(name, help: help, kind: .gauge)
            family.series[key] = .function(body)
            families[name] = family
        }
    }

    private func register(
        _ name: String, help: String, kind: Kind, labels: [String: String], make: () -> Series
    ) -> Series {
        let key = Labels(labels)
        return lock.withLock {
            var family = checkedFamily(name, help: help, kind: kind)
            if let existing = family.series[key] { return existing }
            let series = make()
            family.series[key] = series
            families[name] = family
            return series
        }
    }

    /// The family `name`, checking that the name is valid and not already used by another kind. Called under `lock`.
    private func checkedFamily(_ name: String, help: String, kind: Kind) -> Family {
        precondition(PrometheusText.isValidName(name), "invalid metric name \(name)")
        let family = families[name] ?? Family(help: help, kind: kind)
        precondition(family.kind == kind, "metric \(name) is already a \(family.kind.rawValue)")
        return family
    }

    /// Every metric in the Prometheus text exposition format (version 0.0.4), families sorted by name.
    public func render() -> String {
        let hooks = lock.withLock { scrapeHooks }
        for hook in hooks { hook() }
        let snapshot = lock.withLock { families }
        var out = ""
        for name in snapshot.keys.sorted() {
            let family = snapshot[name]!
            out += "# HELP \(name) \(PrometheusText.escapeHelp(family.help))\n"
            out += "# TYPE \(name) \(family.kind.rawValue)\n"
            for labels in family.series.keys.sorted() {
                PrometheusText.write(name: name, labels: labels, series: family.series[labels]!, into: &out)
            }
        }
        return out
    }
}
