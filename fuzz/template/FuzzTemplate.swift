import FuzzSupport

/// Puts arbitrary text in a notification template (console `text`, or a webhook body member when the first byte
/// is odd), so the template parser sees it exactly, then renders it for the reference events when it loads.
func fuzzOne(_ bytes: [UInt8]) {
    guard let mode = bytes.first else { return }
    let template = FuzzFixtures.yamlQuoted(String(decoding: bytes.dropFirst(), as: UTF8.self))
    let entry =
        mode % 2 == 0
        ? "- channel: console\n        text: \(template)"
        : "- channel: hook\n        body: {note: \(template), list: [\(template)]}"
    RuleExercise.run(
        """
        rules:
          - name: fuzz
            on: appointment.created
            notify:
              \(entry)
        """)
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
