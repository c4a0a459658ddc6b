// What the store's thread spends on one push, without HTTP, decoding or sends: the event stored with its plan
// (one job, claimed for sending at once), then the send's result, in batches of 64 as under load at 64
// connections. Deterministic in instructions, so compare builds under callgrind:
//   swift build -c release --product bench-store && valgrind --tool=callgrind .build/release/bench-store 3000
// Run plainly it prints CPU microseconds per push (user and system, the fsyncs' kernel time included).
import Foundation
import Storage

let count = CommandLine.arguments.count > 1 ? Int(CommandLine.arguments[1]) ?? 20_000 : 20_000
let batch = 64
let fixture = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
    .deletingLastPathComponent().appendingPathComponent("Tests/Fixtures/Events/plain-example.json")
let raw = Array(try Data(contentsOf: fixture))
let directory = FileManager.default.temporaryDirectory.appendingPathComponent("bench-store-\(getpid())").path
defer { try? FileManager.default.removeItem(atPath: directory) }
let store = try Store(directory: directory)

/// Stores `batch` pushes at once, each with one job claimed by its commit; returns the claimed jobs' ids.
func accept(_ first: Int) -> [String] {
    let done = DispatchGroup()
    let claimed = Claimed()
    let now = Date()
    for index in first..<(first + batch) {
        let id = UUID().uuidString.lowercased()
        let order = "Y\(UInt64.random(in: 1 << 40..<1 << 50))"
        let event = InboxEvent(id: id, receivedAt: now, kind: "appointment.created", orderKey: order, raw: raw)
        let claim = InlineClaim(limit: 64)
        let job = NewJob(
            id: UUID().uuidString.lowercased(), key: "to-sink|\(order)|0|once", rule: "to-sink", entry: 0,
            channel: "sink", orderKey: order, eventID: id, dueAt: now, payload: Array(#"{"grace":0}"#.utf8))
        done.enter()
        store.accept(
            event,
            planning: { _ in
                var plan = PlanCommit(eventID: nil, newJobs: [job], at: now)
                plan.claim = claim
                return plan
            },
            completion: { _ in
                claimed.add(claim.jobs.map(\.id))
                done.leave()
            })
        _ = index
    }
    done.wait()
    return claimed.all
}

/// Records each job's send as done, all at once.
func finish(_ jobs: [String]) {
    let done = DispatchGroup()
    for job in jobs {
        done.enter()
        store.finish(jobID: job, outcome: .sent(detail: "HTTP 200"), at: Date()) { _ in done.leave() }
    }
    done.wait()
}

final class Claimed: @unchecked Sendable {
    private let lock = NSLock()
    private var ids: [String] = []
    func add(_ more: [String]) { lock.withLock { ids += more } }
    var all: [String] { lock.withLock { ids } }
}

/// The process's user and system CPU time so far, in microseconds.
func cpuMicroseconds() -> (user: Double, system: Double) {
    var usage = rusage()
    getrusage(RUSAGE_SELF.rawValue, &usage)
    return (
        Double(usage.ru_utime.tv_sec) * 1e6 + Double(usage.ru_utime.tv_usec),
        Double(usage.ru_stime.tv_sec) * 1e6 + Double(usage.ru_stime.tv_usec)
    )
}

let cpu0 = cpuMicroseconds()
let start = Date()
var sent = 0
for first in stride(from: 0, to: count, by: batch) {
    let jobs = accept(first)
    sent += jobs.count
    finish(jobs)
}
let seconds = Date().timeIntervalSince(start)
let pushes = (count + batch - 1) / batch * batch
let cpu1 = cpuMicroseconds()
print(
    String(
        format: "%d pushes, %d claimed and sent, %.1f s; CPU a push: %.1f µs user, %.1f µs system, %d commits",
        pushes, sent, seconds, (cpu1.user - cpu0.user) / Double(pushes), (cpu1.system - cpu0.system) / Double(pushes),
        store.commitCount))
