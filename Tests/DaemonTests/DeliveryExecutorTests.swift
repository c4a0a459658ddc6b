import Foundation
import TestKit
import Testing

@testable import Daemon

@Suite struct DeliveryThreads {
    /// Deliveries run on the executor's own threads, more of them than there are cores, so those blocked in SQLite
    /// do not hold up the others; and a send still waiting when the daemon stops can finish after it.
    @Test func tasksRunOnThePoolAndOneResumedAfterTheStopStillFinishes() async throws {
        let executor = DeliveryExecutor()
        let gate = DispatchSemaphore(value: 0)
        let blockers = DeliveryExecutor.threads - 1
        // All but one thread blocked: a further task still runs.
        for _ in 0..<blockers {
            Task(executorPreference: executor) { gate.wait() }
        }
        let ran = await Task(executorPreference: executor) { true }.value
        #expect(ran)
        for _ in 0..<blockers { gate.signal() }

        let resume = AsyncStream<Void>.makeStream()
        let late = Task(executorPreference: executor) { () -> Bool in
            for await _ in resume.stream { return true }
            return false
        }
        try await Task.sleep(for: .milliseconds(50))
        executor.stop()
        resume.continuation.yield()
        #expect(await late.value)
    }

    /// The pool's threads carry names the system shows (`top -H`): scrm-deliver-0 to -15.
    @Test func thePoolsThreadsAreNamedForTheSystem() {
        let executor = DeliveryExecutor()
        defer { executor.stop() }
        let wanted = Set((0..<DeliveryExecutor.threads).map { "scrm-deliver-\($0)" })
        let names = waitForThreadNames(wanted)
        #expect(names.isSuperset(of: wanted), "threads: \(names.sorted())")
    }
}
