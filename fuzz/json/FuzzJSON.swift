import FuzzSupport
import JSON

/// Parses arbitrary bytes as JSON; a value that parses must serialize to text that parses back to itself.
func fuzzOne(_ bytes: [UInt8]) {
    guard let value = try? JSONValue.parse(bytes) else { return }
    let text = value.serializedBytes()
    guard let again = try? JSONValue.parse(text) else {
        fatalError("serialized JSON does not parse: \(String(decoding: text, as: UTF8.self))")
    }
    precondition(again == value, "JSON changed in a round trip: \(String(decoding: text, as: UTF8.self))")
    precondition(again.serializedBytes() == text, "serializing is not stable")
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
