import Foundation

/// A sliding window for one channel: at most `limit.count` sends in any span of `limit.period`.
///
/// Excess sends are not refused: each reservation gets the time its turn comes, the moment the oldest of the
/// last `count` sends leaves the window. (A token bucket would let up to twice the count through in one window,
/// which a robot limited to 20 a minute answers with a rate-limit error.)
public final class RateLimiter: @unchecked Sendable {
    /// The limit enforced.
    public let limit: RateLimit
    private let lock = NSLock()
    // Guarded by `lock`: the times given to the last `limit.count` sends, oldest first.
    private var slots: [Date] = []

    /// Makes a limiter with no sends yet.
    public init(limit: RateLimit) {
        self.limit = limit
    }

    /// Reserves a send and returns when it may go: `now` when the window has room, else when it will.
    public func reserve(now: Date = Date()) -> Date {
        let period = seconds(limit.period)
        return lock.withLock {
            var at = max(now, slots.last ?? now)
            if slots.count >= limit.count {
                at = max(at, slots.removeFirst().addingTimeInterval(period))
            }
            slots.append(at)
            return at
        }
    }

    private func seconds(_ duration: Duration) -> Double {
        Double(duration.components.seconds) + Double(duration.components.attoseconds) / 1e18
    }
}

/// Exponential backoff between attempts: `base`, doubling each attempt, capped, with random jitter.
public struct RetryPolicy: Sendable {
    /// The delay after the first failed attempt.
    public var base: Duration
    /// The longest delay.
    public var cap: Duration
    /// The fraction by which a delay varies either way (0.2 = ±20%).
    public var jitter: Double

    /// Makes a policy; the defaults give 5s, 10s, 20s, ... up to 1h, each ±20%.
    public init(base: Duration = .seconds(5), cap: Duration = .seconds(3600), jitter: Double = 0.2) {
        self.base = base
        self.cap = cap
        self.jitter = jitter
    }

    /// The wait after attempt number `attempt` (1 for the first) failed; a service's `hint` (Retry-After) wins
    /// when given, within the cap and never under one second.
    public func delay(afterAttempt attempt: Int, hint: Duration?) -> Duration {
        if let hint { return min(max(hint, .seconds(1)), cap) }
        let doublings = min(max(attempt - 1, 0), 30)
        var delay = base * (1 << doublings)
        if delay > cap { delay = cap }
        let factor = 1 + Double.random(in: -jitter...jitter)
        return delay * factor
    }
}
