import Foundation
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
        let ran = await Task(executorPreference: executor) { () -> String? in
            try? String(contentsOfFile: "/proc/thread-self/comm", encoding: .utf8).trimmingCharacters(in: .newlines)
        }.value
        // The thread it ran on carries its name for the system (`top -H`).
        #expect(ran?.hasPrefix("scrm-deliver-") == true, "ran on \(ran ?? "?")")
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
}
