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
        await awaitTurn(of: channel)
        switch prepare(channel, payload, context) {
        case .settled(let outcome): return outcome
        case .request(let request): return channel.classify(await client.perform(request))
        }
    }

    /// Sends one entry through `channel` as `send` does, but hands the outcome to `completion` instead of
    /// returning it: on the client's thread once the answer is in (keep it short), or at once when there is
    /// nothing to send. Returns once the request has started.
    ///
    /// A caller awaiting `send` is resumed on a thread of its own only to judge the answer and pass it on; under
    /// load, that second wake-up of a delivery thread for each send cost more than the judging.
    public func start(
        channel: any Channel, payload: JSONValue, context: SendContext,
        completion: @escaping @Sendable (DeliveryOutcome) -> Void
    ) async {
        await awaitTurn(of: channel)
        launch(channel, payload, context, completion)
    }

    /// Starts the send as `start` does, on the calling thread, when the channel has no rate limit to wait for;
    /// returns false, having done nothing, when it has one.
    public func startAtOnce(
        channel: any Channel, payload: JSONValue, context: SendContext,
        completion: @escaping @Sendable (DeliveryOutcome) -> Void
    ) -> Bool {
        guard channel.options.rateLimit == nil else { return false }
        launch(channel, payload, context, completion)
        return true
    }

    private func launch(
        _ channel: any Channel, _ payload: JSONValue, _ context: SendContext,
        _ completion: @escaping @Sendable (DeliveryOutcome) -> Void
    ) {
        switch prepare(channel, payload, context) {
        case .settled(let outcome): completion(outcome)
        case .request(let request): client.perform(request) { completion(channel.classify($0)) }
        }
    }

    /// A request to perform, or the outcome when there is none to perform.
    private enum Prepared {
        case request(OutboundRequest)
        case settled(DeliveryOutcome)
    }

    /// The request of the entry; a request that cannot be built is a permanent failure, and a channel that makes
    /// none (the console) has delivered.
    private func prepare(_ channel: any Channel, _ payload: JSONValue, _ context: SendContext) -> Prepared {
        do {
            guard let request = try channel.makeRequest(payload, context: context) else {
                return .settled(.delivered(detail: nil))
            }
            return .request(request)
        } catch {
            return .settled(.failed(reason: error.description))
        }
    }

    /// Waits until the channel's rate limit lets one more send go.
    private func awaitTurn(of channel: any Channel) async {
        guard let limiter = limiter(for: channel) else { return }
        let wait = limiter.reserve(now: Date()).timeIntervalSinceNow
        if wait > 0 { try? await Task.sleep(for: .milliseconds(Int64(wait * 1000))) }
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
