import Events
import Foundation
import Testing

@testable import Rules

/// Each file (or folder) under Fixtures/Rules/broken holds one kind of mistake; its `.expected` sidecar holds the
/// exact `file:line:column: message` lines, with paths relative to the broken folder.
@Suite struct BrokenRuleTests {
    static let folder = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
        .appendingPathComponent("../Fixtures/Rules/broken").standardized.path
    static let channels = ["store-group": "wecom"]

    static var cases: [String] {
        let names = (try? FileManager.default.contentsOfDirectory(atPath: folder)) ?? []
        return names.filter { !$0.hasSuffix(".expected") }.sorted()
    }

    func load(_ name: String) -> Result<RuleSet, RuleErrors> {
        let path = (Self.folder as NSString).appendingPathComponent(name)
        var isFolder: ObjCBool = false
        _ = FileManager.default.fileExists(atPath: path, isDirectory: &isFolder)
        if isFolder.boolValue {
            return RuleSet.load(directory: path, channels: Self.channels, clock: ShopClock())
        }
        return RuleSet.load(files: [path], channels: Self.channels, clock: ShopClock())
    }

    @Test func theCorpusCoversEveryKindOfMistake() {
        #expect(Self.cases.count >= 15)
    }

    @Test(arguments: cases)
    func eachBrokenRuleFileGivesItsExpectedMessages(name: String) throws {
        let base = (name as NSString).deletingPathExtension
        let expectedPath = (Self.folder as NSString).appendingPathComponent(base + ".expected")
        let expected = try String(contentsOfFile: expectedPath, encoding: .utf8)
            .trimmingCharacters(in: .whitespacesAndNewlines)
        guard case .failure(let errors) = load(name) else {
            Issue.record("\(name) loaded without errors")
            return
        }
        let actual = errors.description.replacingOccurrences(of: Self.folder + "/", with: "")
        #expect(actual == expected)
    }

    @Test func oneLoadReportsTheProblemsOfEveryFile() {
        let files = Self.cases.filter { $0.hasSuffix(".yaml") }.map {
            (Self.folder as NSString).appendingPathComponent($0)
        }
        guard case .failure(let errors) = RuleSet.load(files: files, channels: Self.channels, clock: ShopClock()) else {
            Issue.record("the broken files loaded")
            return
        }
        let reported = Set(errors.diagnostics.map { ($0.file as NSString).lastPathComponent })
        #expect(reported == Set(files.map { ($0 as NSString).lastPathComponent }))
    }
}
