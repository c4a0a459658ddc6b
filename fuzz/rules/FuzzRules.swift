import FuzzSupport

/// Loads arbitrary text as a YAML rule file and plans the reference events with whatever loads.
func fuzzOne(_ bytes: [UInt8]) {
    RuleExercise.run(String(decoding: bytes, as: UTF8.self))
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
