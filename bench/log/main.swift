// CPU cost of a log line: the three lines a push writes at the default info level ("event accepted",
// "notification planned", "notification sent"), with the secrets of a typical config to keep out, formatted and
// written to standard error. Run: swift build -c release --product bench-log && .build/release/bench-log [N [json]]
// 2>/dev/null. Under callgrind, a line's instructions are the total over 3 N lines, less a run's with N = 0.
import Foundation
import Telemetry

let count = CommandLine.arguments.count > 1 ? Int(CommandLine.arguments[1]) ?? 100_000 : 100_000
let format: LogFormat = CommandLine.arguments.count > 2 && CommandLine.arguments[2] == "json" ? .json : .logfmt
// A callback token, an AES key, an admin token and a robot's webhook key.
let sink = LogSink(
    format: format, level: .info,
    secrets: [
        "thisisatoken", "jWmYm7qr5nMoAUwZRjGtBxmz3KA1tkAj3ykkR6q2B2C", "admin-0f9e8d7c6b5a",
        "693axxx6-7aoc-4bc4-97a0-0ec2sifa5aaa",
    ])
let logger = Logger(sink: sink)
let event = "352c2d4a-5f70-45b8-9e3c-56b7614797f3-10996-run.0"
let job = "01a24284-0c22-78f6-aeb9-7a8a58266f8b"

let start = DispatchTime.now().uptimeNanoseconds
for _ in 0..<count {
    logger.info(
        "event accepted", ["event.id": event, "event.kind": "appointment.created", "order": "Y1796400478181"])
    let send = logger.with(["rule": "to-sink", "channel": "sink", "job": job, "event.id": event])
    send.info("notification planned", ["due": "2026-12-05 03:24:39"])
    send.info("notification sent", ["attempt": "1"])
}
let nanos = Double(DispatchTime.now().uptimeNanoseconds - start) / Double(max(1, count * 3))
print("\(count * 3) \(format) lines, \(String(format: "%.0f", nanos)) ns a line")
