import FuzzSupport

/// Loads arbitrary text as a YAML rule file and plans the reference events with whatever loads.
func fuzzOne(_ bytes: [UInt8]) {
    RuleExercise.run(String(decoding: bytes, as: UTF8.self))
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
