import Foundation

/// A token bucket for one channel: a burst of up to `limit.count` sends, then one every `period / count`.
/// Excess sends are not refused: each reservation gets the time its turn comes.
public final class RateLimiter: @unchecked Sendable {
    /// The limit enforced.
    public let limit: RateLimit
    private let lock = NSLock()
    // Guarded by `lock`: tokens left at `updated`; negative when sends are queued for future tokens.
    private var tokens: Double
    private var updated: Date?

    /// Makes a full bucket for `limit`.
    public init(limit: RateLimit) {
        self.limit = limit
        self.tokens = Double(limit.count)
    }

    /// Takes a token and returns when the send that holds it may go: `now` when one is free, else later.
    public func reserve(now: Date = Date()) -> Date {
        let perSecond = Double(limit.count) / seconds(limit.period)
        return lock.withLock {
            if let updated, now > updated {
                tokens = min(Double(limit.count), tokens + now.timeIntervalSince(updated) * perSecond)
            }
            if updated.map({ now > $0 }) ?? true { updated = now }
            tokens -= 1
            guard tokens < 0 else { return now }
            return (updated ?? now).addingTimeInterval(-tokens / perSecond)
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
