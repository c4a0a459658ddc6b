import FuzzSupport

/// Puts arbitrary text in a rule's `when:` or `at:` (first byte even or odd), so the expression parser and
/// checker see it exactly, then plans the reference events with the rule when it loads.
func fuzzOne(_ bytes: [UInt8]) {
    guard let mode = bytes.first else { return }
    let expression = FuzzFixtures.yamlQuoted(String(decoding: bytes.dropFirst(), as: UTF8.self))
    let field = mode % 2 == 0 ? "when: \(expression)" : "at: \(expression)\n    late: send"
    RuleExercise.run(
        """
        rules:
          - name: fuzz
            on: appointment.created
            \(field)
            notify:
              - channel: console
                text: "{{ order.order_num }}"
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
