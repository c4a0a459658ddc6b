// Webhook sends per second through the real delivery path (Deliverer → WebhookChannel → libcurl multi) to a
// loopback sink. Run: swift build -c release --product bench-channels && .build/release/bench-channels [N] [C]
import Channels
import Foundation
import JSON
import TestKit

let arguments = CommandLine.arguments
let total = arguments.count > 1 ? Int(arguments[1]) ?? 20_000 : 20_000
let concurrency = arguments.count > 2 ? Int(arguments[2]) ?? 64 : 64

let sink = try FakeHTTPServer(response: ScriptedResponse(status: 200, body: "ok"))
var settings = JSONObject()
settings["type"] = "webhook"
settings["url"] = .string(sink.url + "/hook")
settings["secret"] = "bench-secret"
let channel = try ChannelFactory.make(name: "bench", settings: settings, console: nil)
let deliverer = Deliverer(client: HTTPClient())
let payload: JSONValue = ["body": ["order": "Y634089652417560576", "customer": "张杨", "text": "新预约"]]

/// Sends `count` notifications with `width` in flight at once; returns (seconds, delivered).
func run(count: Int, width: Int) async -> (Double, Int) {
    let started = Date()
    let delivered = await withTaskGroup(of: Bool.self) { group in
        var next = 0
        var ok = 0
        func add() {
            let index = next
            next += 1
            group.addTask {
                let outcome = await deliverer.send(
                    channel: channel, payload: payload, context: SendContext(jobID: "job-\(index)"))
                return outcome == .delivered(detail: nil)
                    || {
                        if case .delivered = outcome { return true }; return false
                    }()
            }
        }
        for _ in 0..<min(width, count) { add() }
        while let result = await group.next() {
            if result { ok += 1 }
            if next < count { add() }
        }
        return ok
    }
    return (Date().timeIntervalSince(started), delivered)
}

_ = await run(count: 500, width: concurrency)  // warm up connections
let (seconds, delivered) = await run(count: total, width: concurrency)
let rss =
    (try? String(contentsOfFile: "/proc/self/status", encoding: .utf8))?
    .split(separator: "\n").first { $0.hasPrefix("VmRSS") } ?? ""
print("webhook sends: \(delivered)/\(total) delivered in \(String(format: "%.2f", seconds)) s")
print("rate: \(Int(Double(delivered) / seconds)) sends/s at \(concurrency) in flight; \(rss)")
sink.stop()
