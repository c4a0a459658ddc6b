/// The outcome of one rule-test file, printed like a test runner.
public struct RuleTestReport: Sendable {
    /// One case's outcome.
    public struct CaseResult: Sendable {
        public let name: String
        /// Why the case failed; empty when it passed.
        public let failures: [String]
        public var passed: Bool { failures.isEmpty }
    }

    public let file: String
    public let cases: [CaseResult]
    /// Problems that stopped the whole file (unreadable test, rules that do not load).
    public let errors: [String]

    public var passed: Int { cases.filter(\.passed).count }
    public var failed: Int { cases.count - passed + (errors.isEmpty ? 0 : 1) }

    /// `✓`/`✗` per case with indented failure messages, then `N passed, N failed`.
    public var description: String {
        var lines = [file]
        for error in errors { lines.append("  ✗ \(error)") }
        for result in cases {
            lines.append("  \(result.passed ? "✓" : "✗") \(result.name)")
            for failure in result.failures {
                lines.append(contentsOf: failure.split(separator: "\n").map { "      \($0)" })
            }
        }
        lines.append("\(passed) passed, \(failed) failed")
        return lines.joined(separator: "\n")
    }
}
