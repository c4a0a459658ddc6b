import Foundation
import TestKit
import Testing

@testable import Daemon
@testable import Events
@testable import Storage

/// A store that refuses writes for a while (full disk, read-only file) loses no acknowledged work: what could
/// not be recorded is recorded once the store recovers, without a restart.
@Suite struct FaultStore {
    static let rules = [
        "r.yaml": """
        rules:
          - name: now
            on: appointment.created
            notify:
              - channel: hook
        """
    ]

    /// Makes every write of the daemon's store fail with SQLITE_READONLY (or succeed again).
    static func refuseWrites(_ store: Store, _ refuse: Bool) {
        store.writerLock.withLock {
            _ = try? store.writer.execute("PRAGMA query_only = \(refuse ? 1 : 0)", operation: "test")
        }
    }

    static func state(_ store: Store, event: String) throws -> [String] {
        try store.read { connection throws(StoreError) in
            try connection.query("SELECT state FROM jobs WHERE event_id = ?", [.text(event)], operation: "test") {
                $0.text(0)
            }
        }
    }

    @Test func aSendWhoseResultCannotBeStoredIsSettledOnceTheStoreRecovers() throws {
        let sink = try FakeHTTPServer(response: ScriptedResponse(status: 200, body: "ok", delay: .milliseconds(300)))
        defer { sink.stop() }
        let daemon = try TestDaemon(
            rules: Self.rules, extraConfig: "channels:\n  hook: {type: webhook, url: \"\(sink.url)/h\"}")
        defer { daemon.stop() }
        let store = daemon.app.jobStore
        #expect(daemon.post(Fixture.example(id: "finish-1"))?.status == 200)
        #expect(TestDaemon.eventually(2) { (try? Self.state(store, event: "finish-1")) == ["sending"] })
        Self.refuseWrites(store, true)
        #expect(TestDaemon.eventually(2) { daemon.logLines.all.contains { $0.contains("send result not stored") } })
        Self.refuseWrites(store, false)
        #expect(TestDaemon.eventually(2) { (try? Self.state(store, event: "finish-1")) == ["sent"] })
        #expect(sink.requests.count == 1)
    }

    @Test func anEventWhosePlanCannotBeStoredIsPlannedOnceTheStoreRecovers() throws {
        let sink = try FakeHTTPServer()
        defer { sink.stop() }
        let daemon = try TestDaemon(
            rules: Self.rules, extraConfig: "channels:\n  hook: {type: webhook, url: \"\(sink.url)/h\"}")
        defer { daemon.stop() }
        let store = daemon.app.jobStore
        // Stored as an acknowledged push is, but planned while the store refuses writes.
        let raw = Fixture.example(id: "plan-1")
        let event = try Event.decode(raw, clock: daemon.app.shopClock)
        _ = try store.accept(
            InboxEvent(id: "plan-1", receivedAt: Date(), kind: event.kind, orderKey: event.orderNum, raw: raw))
        Self.refuseWrites(store, true)
        daemon.app.planner.wake()
        daemon.app.drainPlanning()
        #expect(daemon.logLines.all.contains { $0.contains("plan not stored") })
        #expect(try Self.state(store, event: "plan-1").isEmpty)
        Self.refuseWrites(store, false)
        #expect(TestDaemon.eventually(3) { sink.requests.count == 1 })
        #expect(try store.unplannedEvents(limit: 10).isEmpty)
    }
}
