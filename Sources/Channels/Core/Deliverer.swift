import Foundation
import JSON

/// Sends notifications for the daemon: waits for the channel's rate limit, builds the request, performs it and
/// judges the answer.
public final class Deliverer: Sendable {
    /// The transport every channel's requests go through.
    public let client: HTTPClient
    private let limiters: Mutexed<[String: RateLimiter]>

    /// Makes a deliverer over `client`.
    public init(client: HTTPClient = .shared) {
        self.client = client
        self.limiters = Mutexed([:])
    }

    /// Sends one entry through `channel`. A request that cannot be built is a permanent failure.
    public func send(channel: any Channel, payload: JSONValue, context: SendContext) async -> DeliveryOutcome {
        if let limiter = limiter(for: channel) {
            let wait = limiter.reserve(now: Date()).timeIntervalSinceNow
            if wait > 0 { try? await Task.sleep(for: .milliseconds(Int64(wait * 1000))) }
        }
        let request: OutboundRequest?
        do {
            request = try channel.makeRequest(payload, context: context)
        } catch {
            return .failed(reason: error.description)
        }
        guard let request else { return .delivered(detail: nil) }
        let result = await client.perform(request)
        return channel.classify(result)
    }

    /// The rate limiter of `channel`, made on first use; nil when the channel has no limit.
    public func limiter(for channel: any Channel) -> RateLimiter? {
        guard let limit = channel.options.rateLimit else { return nil }
        return limiters.withLock { table in
            if let existing = table[channel.name], existing.limit == limit { return existing }
            let made = RateLimiter(limit: limit)
            table[channel.name] = made
            return made
        }
    }
}

/// A value guarded by its own lock.
final class Mutexed<Value>: @unchecked Sendable {
    private let lock = NSLock()
    // Guarded by `lock`.
    private var value: Value

    /// Wraps `value`.
    init(_ value: Value) { self.value = value }

    /// Runs `body` with the value while holding the lock.
    func withLock<Result>(_ body: (inout Value) -> Result) -> Result {
        lock.lock()
        defer { lock.unlock() }
        return body(&value)
    }
}
