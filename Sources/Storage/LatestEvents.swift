import Foundation

/// The latest stored event of each appointment stored since the store opened, kept in memory so that a send need
/// not read it from the inbox (`Store.latestEventID(orderKey:)`).
///
/// Each send asked the read connection which event of its appointment is the latest. Under load every query found
/// the log changed since the one before, so SQLite dropped the connection's page cache and read the index's pages
/// from the files again, while the senders queued for the one read connection: a fifth of a delivery thread's
/// time, with a send for every push.
///
/// The committer records the events it inserts (`Connection.insertedEvents`) and hands them over here once their
/// transaction has committed, in commit order, which is the inbox's row order. An appointment's entry changes
/// only for an event received at the same millisecond or later, as the inbox's query orders them. An appointment
/// whose batch failed to commit is forgotten (the commit may have reached the file all the same), and so is the
/// oldest once `capacity` are held: the query answers for those. For an appointment whose earlier events were
/// stored before the store opened, the entry names the event received since; the query agrees unless the clock
/// went back past those earlier events' times.
final class LatestEvents: @unchecked Sendable {
    /// An event inserted by the transaction in progress.
    struct Inserted: Equatable {
        let orderKey: String
        let id: String
        /// The event's `received_at` as stored, in milliseconds.
        let receivedAt: Int64
    }

    let capacity: Int
    // `lock` guards `latest` and `added`.
    private let lock = NSLock()
    private var latest: [String: (id: String, receivedAt: Int64)] = [:]
    /// Appointments in the order they were added, some forgotten since; the oldest are dropped first.
    private var added: [String] = []
    private var head = 0

    init(capacity: Int = 4096) {
        self.capacity = capacity
    }

    /// The id of the latest event of `orderKey`, if it is held.
    func id(of orderKey: String) -> String? {
        lock.withLock { latest[orderKey]?.id }
    }

    /// Takes in `events`, committed in this order.
    func committed(_ events: [Inserted]) {
        guard !events.isEmpty else { return }
        lock.withLock {
            for event in events {
                if let current = latest[event.orderKey] {
                    if event.receivedAt >= current.receivedAt { latest[event.orderKey] = (event.id, event.receivedAt) }
                    continue
                }
                latest[event.orderKey] = (event.id, event.receivedAt)
                added.append(event.orderKey)
            }
            while latest.count > capacity, head < added.count {
                latest[added[head]] = nil
                head += 1
            }
            // Drop the forgotten keys now and then instead of shifting the array on every insert.
            if head > capacity {
                added.removeFirst(head)
                head = 0
            }
        }
    }

    /// Forgets the appointments of `events`, whose transaction may or may not have committed.
    func forget(_ events: [Inserted]) {
        guard !events.isEmpty else { return }
        lock.withLock {
            for event in events { latest[event.orderKey] = nil }
        }
    }
}
