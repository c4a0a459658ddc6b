import Foundation
import JSON
import Storage
import Testing

/// `jobs`, `cancel` and `retry` work on the store of a stopped daemon, through the config that names it.
@Suite struct OperationsCommands {
    /// A config and a store holding one future notification for `ORD-1` and one failed one for `ORD-2`.
    static func filledStore() throws -> (root: URL, config: String, future: String, failed: String) {
        let root = URL(fileURLWithPath: NSTemporaryDirectory()).appendingPathComponent("scrm-cmd-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: root, withIntermediateDirectories: true)
        let data = root.appendingPathComponent("data").path
        let config = root.appendingPathComponent("scrm-notify.yaml").path
        try "data: \(data)\nrules: \(root.path)/rules\ntimezone: Asia/Shanghai\n".write(
            toFile: config, atomically: true, encoding: .utf8)

        let store = try Store(directory: data)
        defer { store.close() }
        let now = Date()
        let (future, failed) = ("job-future-1", "job-failed-2")
        for (order, event) in [("ORD-1", "ev-1"), ("ORD-2", "ev-2")] {
            _ = try store.accept(
                InboxEvent(
                    id: event, receivedAt: now, kind: "appointment.created", orderKey: order, raw: Array("{}".utf8)))
        }
        func job(_ id: String, order: String, event: String, due: Date) -> NewJob {
            NewJob(
                id: id, key: id, rule: "remind", entry: 0, channel: "console", orderKey: order, eventID: event,
                dueAt: due, payload: Array("{}".utf8))
        }
        try store.commitPlan(
            PlanCommit(
                eventID: "ev-1", newJobs: [job(future, order: "ORD-1", event: "ev-1", due: now + 86_400)], at: now))
        try store.commitPlan(
            PlanCommit(eventID: "ev-2", newJobs: [job(failed, order: "ORD-2", event: "ev-2", due: now - 60)], at: now))
        let claimed = try store.claimDue(now: now, limit: 10)
        #expect(claimed.map(\.id) == [failed])
        try store.finish(jobID: failed, outcome: .failed(reason: "HTTP 400 from the gateway"), at: now)
        return (root, config, future, failed)
    }

    static func states(_ config: String) throws -> [String: String] {
        let listed = try SpawnedDaemon.run(["jobs", "--config", config, "--json"])
        #expect(listed.status == 0)
        let jobs = try #require(try JSONValue.parse(listed.stdout).arrayValue)
        var states: [String: String] = [:]
        for job in jobs { states[job["id"]?.stringValue ?? ""] = job["state"]?.stringValue }
        return states
    }

    @Test func jobsListsTheStoreWithReasonsAndFiltersByState() throws {
        let (root, config, future, failed) = try Self.filledStore()
        defer { try? FileManager.default.removeItem(at: root) }
        #expect(try Self.states(config) == [future: "planned", failed: "failed"])

        let human = try SpawnedDaemon.run(["jobs", "--config", config, "--state", "failed"])
        #expect(human.status == 0)
        let lines = human.stdout.split(separator: "\n")
        #expect(lines.count == 1)
        #expect(lines.first?.contains("id=\(failed)") == true)
        #expect(lines.first?.contains(#"reason="HTTP 400 from the gateway""#) == true)

        let unknown = try SpawnedDaemon.run(["jobs", "--config", config, "--state", "lost"])
        #expect(unknown.status == 2)
    }

    @Test func cancelAndRetryChangeTheStoreWithTheDaemonStopped() throws {
        let (root, config, future, failed) = try Self.filledStore()
        defer { try? FileManager.default.removeItem(at: root) }

        let cancel = try SpawnedDaemon.run(["cancel", "--config", config, "--order", "ORD-1"])
        #expect(cancel.status == 0)
        #expect(cancel.stdout.contains("cancelled 1 pending notification of ORD-1"))
        let retry = try SpawnedDaemon.run(["retry", "--config", config, "--failed"])
        #expect(retry.status == 0)
        #expect(retry.stdout.contains("requeued 1 failed notification"))
        let after = try Self.states(config)
        // A requeued job is due at once, which `jobs` shows as `due`.
        #expect(after == [future: "cancelled", failed: "due"], "\(after)")
        let due = try SpawnedDaemon.run(["jobs", "--config", config, "--state", "due"])
        #expect(due.status == 0)
        #expect(due.stdout.split(separator: "\n").count == 1)
        #expect(due.stdout.contains("id=\(failed)"))

        #expect(try SpawnedDaemon.run(["cancel", "--config", config]).status == 2)
        #expect(try SpawnedDaemon.run(["retry", "--config", config]).status == 2)
    }
}
