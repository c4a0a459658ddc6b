import Events
import Foundation
import Storage
import Testing

@testable import Daemon

@Suite struct EventCaching {
    func stored(_ id: String) -> InboxEvent {
        InboxEvent(
            id: id, receivedAt: Date(), kind: Event.appointmentCreated, orderKey: "Y1", raw: Fixture.example(id: id))
    }

    @Test func aStoredEventIsDecodedOnceAndServedFromTheCacheAfter() throws {
        let cache = EventCache(shopClock: ShopClock(), capacity: 4)
        let first = try #require(cache.event(stored("a")))
        #expect(first.envelope.id == "a")
        #expect(first.appointment?.orderNum == "Y634089652417560576")
        // The same id with other bytes: the cache answers with what it decoded, as a stored event never changes.
        let again = InboxEvent(id: "a", receivedAt: Date(), kind: "x", orderKey: nil, raw: Array("not json".utf8))
        #expect(cache.event(again)?.envelope.id == "a")
    }

    @Test func theOldestEventsAreForgottenPastTheCapacity() {
        let cache = EventCache(shopClock: ShopClock(), capacity: 2)
        for id in ["a", "b", "c"] { _ = cache.event(stored(id)) }
        let broken = InboxEvent(id: "a", receivedAt: Date(), kind: "x", orderKey: nil, raw: Array("not json".utf8))
        // "a" was forgotten, so its broken bytes are decoded now, and fail.
        #expect(cache.event(broken) == nil)
        let keptB = InboxEvent(id: "c", receivedAt: Date(), kind: "x", orderKey: nil, raw: Array("not json".utf8))
        #expect(cache.event(keptB)?.envelope.id == "c")
    }

    @Test func anUndecodableEventIsNotCached() {
        let cache = EventCache(shopClock: ShopClock(), capacity: 2)
        let broken = InboxEvent(id: "z", receivedAt: Date(), kind: "x", orderKey: nil, raw: Array("{".utf8))
        #expect(cache.event(broken) == nil)
        #expect(cache.event(stored("z"))?.envelope.id == "z")
    }
}
