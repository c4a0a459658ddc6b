import Foundation
import Testing

@testable import Rules

@Suite struct RuleTestRunnerTests {
    static let repository = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
        .appendingPathComponent("../..").standardized.path
    static let fixtures = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
        .appendingPathComponent("../Fixtures/Rules/tests").standardized.path

    @Test func theShippedRulesPassTheirTests() throws {
        let folder = (Self.repository as NSString).appendingPathComponent("rules/tests")
        let files = try FileManager.default.contentsOfDirectory(atPath: folder).filter { $0.hasSuffix(".yaml") }
        #expect(!files.isEmpty)
        for name in files {
            let report = RuleTestRunner.run(file: (folder as NSString).appendingPathComponent(name))
            #expect(report.failed == 0, "\(report.description)")
            #expect(report.passed >= 5)
        }
    }

    @Test func theShippedRulesLoadFromTheirFolder() {
        let folder = (Self.repository as NSString).appendingPathComponent("rules")
        let loaded = RuleSet.load(directory: folder, channels: [:], clock: .init())
        #expect((try? loaded.get())?.rules.map(\.name) == ["new-booking", "arrival-reminder"])
    }

    @Test func wrongExpectationsFailWithReadableMessages() {
        let report = RuleTestRunner.run(file: (Self.fixtures as NSString).appendingPathComponent("failing.yaml"))
        #expect(report.passed == 1 && report.failed == 2)
        let text = report.description
        #expect(text.contains("✗ a wrong time fails"))
        #expect(text.contains("expected {rule: reminder, at: 2024-10-15 16:00:00}, but no notification matched"))
        #expect(text.contains("reminder via console at 2024-10-15 16:30:00: \"remind 张杨\""))
        #expect(text.contains("unexpected notification: reminder via console"))
        #expect(text.hasSuffix("1 passed, 2 failed"))
    }

    @Test func rulesThatDoNotLoadFailTheFileWithTheirPositions() {
        let report = RuleTestRunner.run(file: (Self.fixtures as NSString).appendingPathComponent("broken-rules.yaml"))
        #expect(report.failed == 1)
        #expect(
            report.errors.first?.hasSuffix("late-wrong.yaml:5:11: 'late' must be skip or send, not 'later'") == true)
    }
}
