import Foundation
import Rules

/// `scrm-notify test`: runs rule tests and reports like a test runner.
enum TestCommand {
    static let help = """
        usage: scrm-notify test FILE…

        Runs rule-test files: each names the rule files under test, a list of events with the time each
        arrives, and the notifications expected. Prints each case as passed or failed, then a summary.
        Exit 0 when every case passed, 1 when any failed, 2 on a usage error.
        """

    static func run(_ words: ArraySlice<String>) -> Int32 {
        let arguments: Arguments
        switch CommandLineTool.parse(words, help: help) {
        case .success(let parsed): arguments = parsed
        case .failure(let exit): return exit.code
        }
        guard !arguments.positional.isEmpty else {
            printError("scrm-notify: test needs at least one file\n\n\(help)")
            return 2
        }
        var passed = 0
        var failed = 0
        for file in arguments.positional {
            let report = RuleTestRunner.run(file: file)
            print(report.description)
            passed += report.passed
            failed += report.failed
        }
        print("\(passed) passed, \(failed) failed")
        return failed == 0 ? 0 : 1
    }
}
