import Foundation

/// A value that only goes up, such as events accepted or sends failed.
public final class Counter: @unchecked Sendable {
    // `lock` guards `current`.
    private let lock = NSLock()
    private var current = 0.0

    init() {}

    /// Adds `amount`, which must not be negative.
    public func increment(by amount: Double = 1) {
        precondition(amount >= 0, "a counter never goes down")
        lock.withLock { current += amount }
    }

    /// The current total.
    public var value: Double { lock.withLock { current } }
}

/// A value that goes up and down, such as jobs pending.
public final class Gauge: @unchecked Sendable {
    // `lock` guards `current`.
    private let lock = NSLock()
    private var current = 0.0

    init() {}

    /// Sets the value.
    public func set(_ value: Double) { lock.withLock { current = value } }

    /// Adds `amount` (negative to subtract).
    public func add(_ amount: Double) { lock.withLock { current += amount } }

    /// The current value.
    public var value: Double { lock.withLock { current } }
}

/// Observations counted in buckets, such as send latency in seconds.
public final class Histogram: @unchecked Sendable {
    /// Upper bounds of the buckets, ascending, without `+Inf`.
    public let buckets: [Double]
    // `lock` guards `counts`, `sum` and `count`.
    private let lock = NSLock()
    private var counts: [UInt64]
    private var sum = 0.0
    private var count: UInt64 = 0

    init(buckets: [Double]) {
        self.buckets = Array(Set(buckets.filter(\.isFinite))).sorted()
        self.counts = Array(repeating: 0, count: self.buckets.count)
    }

    /// Records one observation.
    public func observe(_ value: Double) {
        let index = buckets.firstIndex { value <= $0 }
        lock.withLock {
            if let index { counts[index] += 1 }
            sum += value
            count += 1
        }
    }

    /// Cumulative counts per bucket (`le` each bound), then the sum and count of all observations.
    public var snapshot: (cumulative: [UInt64], sum: Double, count: UInt64) {
        let (counts, sum, count) = lock.withLock { (self.counts, self.sum, self.count) }
        var running: UInt64 = 0
        return (
            counts.map {
                running += $0; return running
            }, sum, count
        )
    }
}
