import Dispatch

/// Runs delivery tasks on a dispatch queue of their own instead of Swift's cooperative pool.
///
/// A delivery touches SQLite, which blocks; the cooperative pool has only one thread per core, so blocking it
/// could stall every other task in the process (and, in tests, a test that waits on a pool thread starves the
/// daemon it waits for). Dispatch adds threads when its workers block, so deliveries keep moving.
final class DeliveryExecutor: TaskExecutor, @unchecked Sendable {
    private let queue = DispatchQueue(label: "scrm-notify.delivery", attributes: .concurrent)

    func enqueue(_ job: consuming ExecutorJob) {
        let job = UnownedJob(job)
        let executor = asUnownedTaskExecutor()
        queue.async { job.runSynchronously(on: executor) }
    }
}
