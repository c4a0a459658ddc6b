import Events
import Foundation
import Storage

/// Recently decoded events by id, with the bytes each is stored as, so that the decoding done at arrival or by
/// the planner serves the send that follows it.
///
/// A stored event never changes, so a cached decoding is always the stored one's. The cache holds at most
/// `capacity` events and forgets the oldest first: a send usually follows its plan within milliseconds, and a
/// decoded push takes about 12 kB (4,096 of them were 50 MB), its bytes about 3 kB more.
///
/// Under load a send follows its push by as many pushes as there are sends in flight (up to 256) and claimed
/// behind them. At 64 connections, with a new booking in every push, a cache of 256 missed 55 % of the sends,
/// each of which then read and decoded its event again; one of 1,024 missed none of 80,000 (71 MB at the peak
/// against 68).
final class EventCache: @unchecked Sendable {
    let shopClock: ShopClock
    let capacity: Int
    // `lock` guards `events` and `order`.
    private let lock = NSLock()
    private var events: [String: Entry] = [:]
    private var order: [String] = []
    private var head = 0

    /// A decoded event and the bytes of its inbox row.
    struct Entry: Sendable {
        let event: Event
        let raw: [UInt8]
    }

    init(shopClock: ShopClock, capacity: Int = 1024) {
        self.shopClock = shopClock
        self.capacity = capacity
    }

    /// The decoded form of `stored`, from the cache or decoded now; nil when it cannot be decoded.
    func event(_ stored: InboxEvent) -> Event? { entry(stored)?.event }

    /// `stored` decoded, from the cache or decoded now, with its bytes; nil when it cannot be decoded.
    func entry(_ stored: InboxEvent) -> Entry? {
        if let cached = cached(stored.id) { return cached }
        guard let event = try? Event.decode(stored.raw, clock: shopClock) else { return nil }
        remember(event, raw: stored.raw)
        return Entry(event: event, raw: stored.raw)
    }

    /// The event of id `id` and its bytes, if the cache holds them.
    func cached(_ id: String) -> Entry? {
        lock.withLock { events[id] }
    }

    /// Keeps `event`, decoded from `raw`, the inbox row of its id, for the sends that follow.
    func remember(_ event: Event, raw: [UInt8]) {
        let id = event.envelope.id
        // The forgotten event is returned out of the lock and dropped there: freeing a decoded push (hundreds of
        // small allocations) inside it held up every other thread that wanted the cache.
        _ = lock.withLock { () -> Entry? in
            guard events.updateValue(Entry(event: event, raw: raw), forKey: id) == nil else { return nil }
            order.append(id)
            guard order.count - head > capacity else { return nil }
            let oldest = events.removeValue(forKey: order[head])
            head += 1
            // Drop the forgotten ids now and then instead of shifting the array on every insert.
            if head > capacity {
                order.removeFirst(head)
                head = 0
            }
            return oldest
        }
    }
}
