import Channels
import Events
import Foundation
import Storage
import Synchronization
import Telemetry
import TestKit
import Testing

@testable import Daemon

/// A send whose every need is in memory starts on the calling thread (the scheduler's); the rest are left to the
/// delivery threads, untouched.
@Suite struct DeliveryAtOnce {
    /// A store holding the fixture's event and one claimed job of its appointment, and a worker sending it to a
    /// fake server through the webhook channel `hook`.
    final class Setup: @unchecked Sendable {
        let folder = NSTemporaryDirectory() + "scrm-at-once-\(UUID().uuidString)"
        let server: FakeHTTPServer
        let store: Store
        let events: EventCache
        let worker: DeliveryWorker
        let job: Job

        init(hookOptions: String = "", remembered: Bool = true) throws {
            server = try FakeHTTPServer()
            let rules = folder + "/rules"
            try FileManager.default.createDirectory(atPath: rules, withIntermediateDirectories: true)
            try "rules:\n  - {name: to-hook, on: appointment.created, notify: [{channel: hook}]}\n"
                .write(toFile: rules + "/r.yaml", atomically: true, encoding: .utf8)
            let extra = hookOptions.isEmpty ? "" : ", " + hookOptions
            try """
            data: \(folder)/data
            rules: \(rules)
            channels:
              hook: {type: webhook, url: "\(server.url)/hook"\(extra)}
            """.write(toFile: folder + "/scrm-notify.yaml", atomically: true, encoding: .utf8)
            let config = try Config.load(path: folder + "/scrm-notify.yaml", environment: [:]).get()
            let shopClock = ShopClock()
            let runtime = try App.loadRuntime(config: config, shopClock: shopClock, console: nil, now: Date()).get()

            store = try Store(directory: folder + "/data")
            let raw = Fixture.example(id: "e1")
            let event = try Event.decode(raw, clock: shopClock)
            guard let order = event.orderNum else { throw EventError.missingField("order.order_num") }
            let now = Date()
            _ = try store.accept(
                InboxEvent(id: "e1", receivedAt: now, kind: event.kind, orderKey: order, raw: raw))
            let planned = NewJob(
                id: "j1", key: "to-hook|\(order)|0|once", rule: "to-hook", entry: 0, channel: "hook", orderKey: order,
                eventID: "e1", dueAt: now, payload: Array(#"{"grace":3600}"#.utf8))
            try store.commitPlan(PlanCommit(eventID: nil, newJobs: [planned], at: now))
            job = try #require(try store.claimDue(now: now, limit: 1).first)

            events = EventCache(shopClock: shopClock)
            if remembered { events.remember(event, raw: raw) }
            let logger = Logger(sink: LogSink(format: .logfmt, level: .error, write: { _ in }))
            worker = DeliveryWorker(
                store: store, clock: SystemClock(), events: events, runtime: RuntimeHolder(runtime),
                deliverer: Deliverer(client: HTTPClient()), retryPolicy: RetryPolicy(), logger: logger,
                metrics: DaemonMetrics())
        }

        func state() throws -> JobState? {
            try store.jobs(orderKey: job.orderKey, state: nil, limit: 10).first?.state
        }

        deinit {
            server.stop()
            store.close()
            try? FileManager.default.removeItem(atPath: folder)
        }
    }

    @Test func aSendWhoseEventIsHeldStartsAtOnceAndIsRecorded() throws {
        let setup = try Setup()
        let settled = Mutex(0)

        #expect(setup.worker.deliverAtOnce(setup.job) { settled.withLock { $0 += 1 } })

        #expect(setup.server.waitForRequests(count: 1))
        #expect(setup.server.requests.first?.header("X-Scrm-Job") == "j1")
        #expect(TestDaemon.eventually { settled.withLock { $0 } == 1 })
        #expect(try setup.state() == .sent)
    }

    /// Reading the event back from the store could block the scheduler's thread: that is a delivery thread's.
    @Test func aSendWhoseEventIsNotInTheCacheIsLeftAlone() throws {
        let setup = try Setup(remembered: false)

        #expect(!setup.worker.deliverAtOnce(setup.job) { Issue.record("settled, though left alone") })

        #expect(setup.server.requests.isEmpty)
        #expect(try setup.state() == .sending)
    }

    /// Waiting for a rate limit is a delivery thread's too.
    @Test func aSendOfARateLimitedChannelIsLeftAlone() throws {
        let setup = try Setup(hookOptions: "rate_limit: 5/s")

        #expect(!setup.worker.deliverAtOnce(setup.job) { Issue.record("settled, though left alone") })

        #expect(setup.server.requests.isEmpty)
        #expect(try setup.state() == .sending)
    }
}
