import Foundation
import Telemetry
import Testing

@Suite struct MetricsTests {
    /// The samples of a rendering, by series text (`name{labels}`), checking each line's shape on the way.
    private func samples(_ text: String) throws -> [String: String] {
        var out: [String: String] = [:]
        for line in text.split(separator: "\n", omittingEmptySubsequences: false).dropLast() {
            if line.hasPrefix("#") {
                let parts = line.split(separator: " ", maxSplits: 3)
                #expect(parts.count >= 3 && (parts[1] == "HELP" || parts[1] == "TYPE"), "\(line)")
                continue
            }
            let space = try #require(line.lastIndex(of: " "), "\(line)")
            #expect(out.updateValue(String(line[line.index(after: space)...]), forKey: String(line[..<space])) == nil)
        }
        #expect(text.hasSuffix("\n"))
        return out
    }

    @Test func countersIncrementedFromManyThreadsRenderTheirTotal() throws {
        let registry = MetricsRegistry()
        DispatchQueue.concurrentPerform(iterations: 8) { thread in
            let accepted = registry.counter("scrm_events_total", help: "Events received.", labels: ["result": "ok"])
            let failed = registry.counter("scrm_events_total", help: "Events received.", labels: ["result": "bad"])
            for _ in 0..<1_000 { accepted.increment() }
            if thread % 2 == 0 { failed.increment(by: 2) }
        }
        let text = registry.render()
        let values = try samples(text)
        #expect(values[#"scrm_events_total{result="ok"}"#] == "8000")
        #expect(values[#"scrm_events_total{result="bad"}"#] == "8")
        #expect(text.components(separatedBy: "# HELP scrm_events_total Events received.\n").count == 2)
        #expect(text.components(separatedBy: "# TYPE scrm_events_total counter\n").count == 2)
    }

    @Test func theSameNameAndLabelsGiveTheSameMetric() {
        let registry = MetricsRegistry()
        let first = registry.counter("a_total", help: "A.", labels: ["x": "1", "y": "2"])
        #expect(first === registry.counter("a_total", help: "A.", labels: ["y": "2", "x": "1"]))
        #expect(first !== registry.counter("a_total", help: "A.", labels: ["x": "2", "y": "2"]))
        #expect(registry.gauge("g", help: "G.") === registry.gauge("g", help: "G."))
    }

    @Test func gaugesSetAndAdd() throws {
        let registry = MetricsRegistry()
        let pending = registry.gauge("scrm_jobs_pending", help: "Jobs waiting.")
        pending.set(5)
        pending.add(-2)
        pending.add(0.5)
        #expect(try samples(registry.render())["scrm_jobs_pending"] == "3.5")
        #expect(registry.render().contains("# TYPE scrm_jobs_pending gauge\n"))
    }

    @Test func histogramBucketsAreCumulativeWithInfSumAndCount() throws {
        let registry = MetricsRegistry()
        let latency = registry.histogram(
            "scrm_send_seconds", help: "Send latency.", labels: ["channel": "wecom"], buckets: [1, 0.1, 0.5])
        for value in [0.05, 0.1, 0.3, 0.7, 2.5] { latency.observe(value) }
        let text = registry.render()
        let values = try samples(text)
        #expect(values[#"scrm_send_seconds_bucket{channel="wecom",le="0.1"}"#] == "2")
        #expect(values[#"scrm_send_seconds_bucket{channel="wecom",le="0.5"}"#] == "3")
        #expect(values[#"scrm_send_seconds_bucket{channel="wecom",le="1"}"#] == "4")
        #expect(values[#"scrm_send_seconds_bucket{channel="wecom",le="+Inf"}"#] == "5")
        #expect(values[#"scrm_send_seconds_sum{channel="wecom"}"#].flatMap(Double.init) == 3.65)
        #expect(values[#"scrm_send_seconds_count{channel="wecom"}"#] == "5")
        #expect(text.contains("# TYPE scrm_send_seconds histogram\n"))
        // Buckets are listed in ascending order.
        let bounds = text.split(separator: "\n").filter { $0.hasPrefix("scrm_send_seconds_bucket") }
        #expect(bounds.map { $0.contains("+Inf") } == [false, false, false, true])
    }

    @Test func labelValuesAndHelpAreEscaped() throws {
        let registry = MetricsRegistry()
        registry.counter("odd_total", help: "Back\\slash\nnewline.", labels: ["rule": "say \"hi\"\\\n"]).increment()
        let text = registry.render()
        #expect(text.contains(#"# HELP odd_total Back\\slash\nnewline."#))
        #expect(try samples(text)[#"odd_total{rule="say \"hi\"\\\n"}"#] == "1")
    }

    @Test func gaugeFunctionsAreComputedAtEachScrape() throws {
        let registry = MetricsRegistry()
        let source = registry.gauge("source", help: "Backing value.")
        for state in ["pending", "failed"] {
            registry.gaugeFunction("scrm_jobs", help: "Jobs by state.", labels: ["state": state]) {
                state == "pending" ? source.value * 2 : 1
            }
        }
        source.set(4)
        #expect(try samples(registry.render())[#"scrm_jobs{state="pending"}"#] == "8")
        source.set(5)
        let values = try samples(registry.render())
        #expect(values[#"scrm_jobs{state="pending"}"#] == "10")
        #expect(values[#"scrm_jobs{state="failed"}"#] == "1")
    }

    @Test func familiesRenderSortedByName() {
        let registry = MetricsRegistry()
        _ = registry.counter("b_total", help: "B.")
        _ = registry.counter("a_total", help: "A.")
        let names = registry.render().split(separator: "\n").filter { $0.hasPrefix("# TYPE") }
        #expect(names == ["# TYPE a_total counter", "# TYPE b_total counter"])
    }
}

@Suite struct ScrapeHooks {
    @Test func aHookRunsOnceAtTheStartOfEachRenderBeforeTheGauges() {
        let registry = MetricsRegistry()
        let readings = ReadingBox()
        registry.onScrape { readings.take() }
        for name in ["a", "b", "c"] {
            registry.gaugeFunction("shared_\(name)", help: "Reads the hook's value.") { Double(readings.value) }
        }
        let first = registry.render()
        let second = registry.render()
        #expect(readings.value == 2)
        #expect(first.contains("shared_a 1") && first.contains("shared_c 1"))
        #expect(second.contains("shared_b 2"))
    }
}

/// A counter of hook runs; guarded by its lock.
private final class ReadingBox: @unchecked Sendable {
    private let lock = NSLock()
    private var count = 0
    func take() { lock.withLock { count += 1 } }
    var value: Int { lock.withLock { count } }
}
