import Foundation

/// Runs delivery tasks on a fixed pool of threads of their own instead of Swift's cooperative pool.
///
/// A delivery touches SQLite, which blocks; the cooperative pool has only one thread per core, so blocking it
/// could stall every other task in the process (and, in tests, a test that waits on a pool thread starves the
/// daemon it waits for). A dispatch queue was tried first: on Linux, dispatch notices blocked workers only now
/// and then, so with sends blocked in commits a task waited about 150 ms for a thread to start, and as long
/// again to resume after its HTTP answer; at 1,000 pushes a second the sends fell seconds behind. Here enough
/// threads wait for work that a blocked one holds up nothing.
final class DeliveryExecutor: TaskExecutor, @unchecked Sendable {
    /// Threads in the pool: how many deliveries may block in SQLite at once.
    static let threads = 16

    /// Guards `jobs` and `stopped`.
    private let condition = NSCondition()
    private var jobs: [UnownedJob] = []
    private var head = 0
    private var stopped = false

    init() {
        for index in 0..<Self.threads {
            // Named from inside: on Linux, Foundation gives the system a name set before the start to no one.
            let thread = Thread { [self] in
                Thread.current.name = "scrm-deliver-\(index)"
                run()
            }
            thread.start()
        }
    }

    func enqueue(_ job: consuming ExecutorJob) {
        let job = UnownedJob(job)
        let queued = condition.withLock {
            guard !stopped else { return false }
            jobs.append(job)
            condition.signal()
            return true
        }
        guard !queued else { return }
        // After the stop (a send that outlived the stop deadline resumes): run it on a thread of its own.
        let executor = asUnownedTaskExecutor()
        let runner = Thread { job.runSynchronously(on: executor) }
        runner.start()
    }

    /// Lets the threads end once the queue is empty; later jobs each get a thread of their own.
    func stop() {
        condition.withLock {
            stopped = true
            condition.broadcast()
        }
    }

    private func run() {
        let executor = asUnownedTaskExecutor()
        while true {
            condition.lock()
            while head == jobs.count && !stopped { condition.wait() }
            if head == jobs.count {
                condition.unlock()
                return
            }
            let job = jobs[head]
            head += 1
            // Drop the run jobs now and then instead of shifting the array on every take.
            if head == jobs.count {
                jobs.removeAll(keepingCapacity: true)
                head = 0
            }
            condition.unlock()
            job.runSynchronously(on: executor)
        }
    }
}
