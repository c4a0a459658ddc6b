import Foundation

/// The threads that run delivery tasks, apart from Swift's shared cooperative pool.
///
/// A delivery blocks on SQLite (a durable commit per attempt), and the cooperative pool has one thread per core:
/// on a two-core machine two blocked callers there (a test runner's synchronous tests, a slow disk) would stop
/// every send. Tasks started with this executor as their preference run, and resume after each await, here.
final class DeliveryExecutor: TaskExecutor, @unchecked Sendable {
    /// One set of threads for the process; every App in it shares them (tests start many).
    static let shared = DeliveryExecutor(threads: 4)

    // `condition` guards `queue` and `head`.
    private let condition = NSCondition()
    private var queue: [UnownedJob] = []
    private var head = 0

    /// Starts `threads` threads that run jobs in the order they were enqueued; they live as long as the process.
    init(threads: Int) {
        for index in 0..<threads {
            let thread = Thread { [self] in work() }
            thread.name = "delivery-\(index)"
            thread.start()
        }
    }

    /// Takes a job of a task that prefers this executor.
    func enqueue(_ job: consuming ExecutorJob) {
        let job = UnownedJob(job)
        condition.withLock {
            queue.append(job)
            condition.signal()
        }
    }

    private func work() {
        while true {
            condition.lock()
            while head == queue.count { condition.wait() }
            let job = queue[head]
            head += 1
            if head == queue.count {
                // Drained: start the array again instead of letting it grow.
                queue.removeAll(keepingCapacity: true)
                head = 0
            }
            condition.unlock()
            job.runSynchronously(on: asUnownedTaskExecutor())
        }
    }
}
