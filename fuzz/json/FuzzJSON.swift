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

#if FUZZING
    /// libFuzzer's per-input hook, which its own `main` (linked by `-sanitize=fuzzer`) refers to.
    @_cdecl("LLVMFuzzerTestOneInput")
    public func fuzzerTestOneInput(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
        fuzzOne(fuzzInput(data, size))
        return 0
    }
#endif

/// With `-DFUZZING`, libFuzzer drives `fuzzOne`; otherwise the files named on the command line are replayed.
@main enum Main {
    static func main() {
        #if FUZZING
            FuzzDriver.run { data, size in
                fuzzOne(fuzzInput(data, size))
                return 0
            }
        #else
            FuzzReplay.main(fuzzOne)
        #endif
    }
}
