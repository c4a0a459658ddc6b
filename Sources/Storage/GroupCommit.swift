import Foundation

/// Lets many `accept` callers share one transaction.
///
/// Each caller enqueues its event and waits. When no batch is being committed, a waiting caller becomes the
/// leader: it takes the writer lock, then everything queued by then, commits it as one transaction and hands
/// every caller of the batch its own result. Callers that arrive meanwhile form the next batch.
final class GroupCommit: @unchecked Sendable {
    /// What one batch gives back: a result per event, in order, or one error for the whole batch.
    typealias BatchResult = Result<[Store.AcceptResult], StoreError>

    /// Guards every property below.
    private let condition = NSCondition()
    private var queue: [(ticket: Int, event: InboxEvent)] = []
    private var results: [Int: Result<Store.AcceptResult, StoreError>] = [:]
    private var nextTicket = 0
    private var leading = false

    /// The number of events waiting for a batch (for tests).
    var waiting: Int { condition.withLock { queue.count } }

    /// Enqueues `event` and returns its result once its batch has committed or failed.
    ///
    /// - Parameters:
    ///   - lock: the writer lock, taken by the leader before it takes the queue so that callers arriving
    ///     while another write runs join the same batch.
    ///   - commit: runs a batch under `lock`.
    func submit(
        _ event: InboxEvent, lock: NSLock, commit: ([InboxEvent]) -> BatchResult
    ) -> Result<Store.AcceptResult, StoreError> {
        condition.lock()
        let ticket = nextTicket
        nextTicket += 1
        queue.append((ticket, event))
        while true {
            if let result = results.removeValue(forKey: ticket) {
                condition.unlock()
                return result
            }
            if leading {
                condition.wait()
                continue
            }
            leading = true
            condition.unlock()

            lock.lock()
            let batch = condition.withLock {
                defer { queue = [] }
                return queue
            }
            let outcome = commit(batch.map(\.event))
            lock.unlock()

            condition.lock()
            for (index, item) in batch.enumerated() {
                results[item.ticket] = outcome.map { $0[index] }
            }
            leading = false
            condition.broadcast()
        }
    }
}
