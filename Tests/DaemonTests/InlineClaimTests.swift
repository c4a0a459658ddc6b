import Foundation
import Storage
import Synchronization
import Telemetry
import TestKit
import Testing

@testable import Daemon

/// The places among the sends in flight that a push takes for the jobs it claims in its own commit.
@Suite struct InlineClaimPlaces {
    @Test func placesAreCappedByTheSendsInFlightAndGivenBackWhenNotUsed() throws {
        let folder = NSTemporaryDirectory() + "scrm-claims-\(UUID().uuidString)"
        defer { try? FileManager.default.removeItem(atPath: folder) }
        let store = try Store(directory: folder)
        let sent = Mutex<[String]>([])
        let logger = Logger(sink: LogSink(format: .logfmt, level: .error, write: { _ in }))
        let scheduler = Scheduler(store: store, clock: SystemClock(), logger: logger, maxInFlight: 3) { job, done in
            sent.withLock { $0.append(job.id) }
            done()
        }
        scheduler.start()
        #expect(scheduler.reserve(2) == 2)
        #expect(scheduler.reserve(2) == 1)
        #expect(scheduler.reserve(1) == 0)

        // A failed commit gives its two places back; a commit that claimed one of its one sends it.
        scheduler.dispatchClaimed([], reserved: 2)
        #expect(scheduler.reserve(5) == 2)
        let job = Job(
            id: "j1", key: "k", rule: "r", entry: 0, channel: "c", orderKey: nil, eventID: "e", dueAt: Date(),
            state: .sending, attempts: 1, nextAttemptAt: nil, reason: nil, payload: [], createdAt: Date(),
            updatedAt: Date(), sentAt: nil)
        scheduler.dispatchClaimed([job], reserved: 1)
        // The scheduler's thread sends it; once it has settled its place is free again, while the two reserved
        // above are still taken.
        #expect(TestDaemon.eventually { sent.withLock { $0 } == ["j1"] })
        #expect(TestDaemon.eventually { scheduler.reserve(1) == 1 })
        #expect(scheduler.reserve(1) == 0)
        scheduler.stop(deadline: Date())
        #expect(scheduler.reserve(1) == 0)
    }
}
