// CPU cost of taking one encrypted push apart, stage by stage: the work every POST /callback does before
// its commit. Run: swift build -c release --product bench-decode && .build/release/bench-decode [N]
import Crypto
import Events
import Foundation
import JSON

let count = CommandLine.arguments.count > 1 ? Int(CommandLine.arguments[1]) ?? 20_000 : 20_000
let fixture = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
    .deletingLastPathComponent().appendingPathComponent("Tests/Fixtures/Events/plain-example.json")
let plain = try Envelope.decode(Array(try Data(contentsOf: fixture)))
let crypto = try CallbackCrypto(
    token: "thisisatoken", encodingAESKey: "jWmYm7qr5nMoAUwZRjGtBxmz3KA1tkAj3ykkR6q2B2C", receiveID: "")
let sealed = crypto.seal(plain.body.serializedBytes(), timestamp: "1661233174", nonce: "9ZvYhI4aFmR7wUNl")
let push = plain.withBody(sealed.json).json.serializedBytes()
let clock = ShopClock()

/// Runs `body` `count` times and prints the mean microseconds per call.
func measure(_ name: String, _ body: () throws -> Void) rethrows {
    let start = DispatchTime.now().uptimeNanoseconds
    for _ in 0..<count { try body() }
    let micros = Double(DispatchTime.now().uptimeNanoseconds - start) / 1000 / Double(count)
    print("\(name.padding(toLength: 28, withPad: " ", startingAt: 0)) \(String(format: "%8.2f", micros)) µs")
}

print("push of \(push.count) bytes, \(count) rounds")
var envelope = try Envelope.decode(push)
try measure("envelope decode") { envelope = try Envelope.decode(push) }
var opened: [UInt8] = []
try measure("verify + decrypt") { opened = try crypto.open(envelope.encryptedBody!) }
var body = JSONValue.null
try measure("parse decrypted body") { body = try JSONValue.parse(opened) }
let restored = envelope.withBody(body)
var event = try Event.decode(restored, clock: clock)
try measure("event decode") { event = try Event.decode(restored, clock: clock) }
var raw: [UInt8] = []
measure("serialize for the inbox") { raw = event.envelope.json.serializedBytes() }
try measure("all stages") {
    let envelope = try Envelope.decode(push)
    let body = try JSONValue.parse(try crypto.open(envelope.encryptedBody!))
    let event = try Event.decode(envelope.withBody(body), clock: clock)
    raw = event.envelope.json.serializedBytes()
}
print("inbox row: \(raw.count) bytes")
