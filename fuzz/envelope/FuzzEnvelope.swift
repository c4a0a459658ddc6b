import Events
import FuzzSupport
import JSON

private let clock = ShopClock()

/// Decodes arbitrary bytes as a platform push, as the ingest path does, and reads every decoded field.
func fuzzOne(_ bytes: [UInt8]) {
    _ = clock.parse(String(decoding: bytes.prefix(64), as: UTF8.self))
    guard let envelope = try? Envelope.decode(bytes) else { return }
    _ = envelope.encryptedBody?.json.serializedBytes()
    _ = envelope.json.serializedBytes()
    guard let event = try? Event.decode(envelope, clock: clock) else { return }
    _ = event.kind
    guard let appointment = event.appointment else { return }
    for date in [appointment.arrivalTime, appointment.serviceEndTime, appointment.orderCreateTime] {
        if let date { _ = clock.format(date, pattern: "yyyy-MM-dd HH:mm:ss E") }
    }
    for field in appointment.customFields { _ = appointment.customField(named: field.name) }
}

/// libFuzzer's per-input hook; with `-sanitize=fuzzer` libFuzzer's own driver calls it for every input.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzerTestOneInput(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    fuzzOne(fuzzInput(data, size))
    return 0
}

@main enum Main {
    static func main() { FuzzMain.run(fuzzerTestOneInput, replaying: fuzzOne) }
}
