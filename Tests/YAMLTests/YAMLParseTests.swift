import Testing

@testable import YAML

@Suite struct YAMLParseTests {
    @Test func nestedMappingsAndSequencesKeepTheirOrder() throws {
        let text = """
            rules:
              - name: b
                on: appointment.created
              - name: a
                notify: [x, y]
            """
        let root = try #require(try YAML.parse(text, file: "r.yaml"))
        let rules = try #require(root["rules"]?.items)
        #expect(rules.count == 2)
        #expect(rules[0].mappingPairs?.map { $0.key.string } == ["name", "on"])
        #expect(rules[1]["name"]?.string == "a")
        #expect(rules[1]["notify"]?.items?.compactMap(\.string) == ["x", "y"])
    }

    @Test func marksPointAtTheLineAndColumnOfEachNode() throws {
        let text = "a: 1\nlist:\n  - x: \"quoted\"\n    y: plain\n"
        let root = try #require(try YAML.parse(text, file: "m.yaml"))
        let item = try #require(root["list"]?.items?.first)
        #expect(item.mark == Mark(line: 3, column: 5))
        let quoted = try #require(item["x"]?.scalar)
        #expect(quoted.mark == Mark(line: 3, column: 8))
        #expect(quoted.contentMark == Mark(line: 3, column: 9))
        #expect(quoted.style == .doubleQuoted)
        #expect(item["y"]?.scalar?.mark == Mark(line: 4, column: 8))
        #expect(item["y"]?.scalar?.style == .plain)
    }

    @Test func badYAMLGivesAPositionedError() {
        let text = "a: [1, 2\nb: c\n"
        #expect {
            _ = try YAML.parse(text, file: "bad.yaml")
        } throws: { error in
            guard let error = error as? YAMLError else { return false }
            return error.file == "bad.yaml" && error.line == 2 && error.description.hasPrefix("bad.yaml:2:")
        }
    }

    @Test func tabIndentationIsReportedWithLibyamlsWords() {
        #expect {
            _ = try YAML.parse("a:\n\tb: 1\n", file: "t.yaml")
        } throws: { error in
            guard let error = error as? YAMLError else { return false }
            return error.line == 2 && error.column == 1 && error.message.contains("spaces only")
        }
    }

    @Test func literalBlockScalarsKeepLinesAndPointAtTheirFirstLine() throws {
        let text = "text: |\n  line one\n  line two\nnext: 1\n"
        let root = try #require(try YAML.parse(text, file: "b.yaml"))
        let block = try #require(root["text"]?.scalar)
        #expect(block.value == "line one\nline two\n")
        #expect(block.style == .literal)
        #expect(block.contentMark == Mark(line: 2, column: 3))
    }

    @Test func flowMappingsParseLikeBlockOnes() throws {
        let root = try #require(try YAML.parse("- {channel: mail, to: \"a@b\"}\n", file: "f.yaml"))
        let entry = try #require(root.items?.first)
        #expect(entry["channel"]?.string == "mail")
        #expect(entry["to"]?.string == "a@b")
        #expect(entry["missing"] == nil)
    }

    @Test func aliasesRepeatTheAnchoredNode() throws {
        let text = "base: &b {channel: console}\ncopy: *b\n"
        let root = try #require(try YAML.parse(text, file: "a.yaml"))
        #expect(root["copy"]?["channel"]?.string == "console")
    }

    @Test func anUnknownAliasIsAnError() {
        #expect(throws: YAMLError.self) { _ = try YAML.parse("a: *nothing\n", file: "u.yaml") }
    }

    @Test func billionLaughsIsStoppedByTheNodeCap() {
        var text = "a0: &a0 [x, x, x, x, x, x, x, x, x, x]\n"
        for level in 1...8 {
            let refs = Array(repeating: "*a\(level - 1)", count: 10).joined(separator: ", ")
            text += "a\(level): &a\(level) [\(refs)]\n"
        }
        #expect {
            _ = try YAML.parse(text, file: "lol.yaml")
        } throws: { error in
            (error as? YAMLError)?.message.contains("aliases") == true
        }
    }

    @Test func anEmptyTextHoldsNoDocument() throws {
        #expect(try YAML.parse("", file: "e.yaml") == nil)
        #expect(try YAML.parse("# only a comment\n", file: "e.yaml") == nil)
    }

    @Test func onlyTheFirstDocumentIsRead() throws {
        let root = try #require(try YAML.parse("a: 1\n---\nb: 2\n", file: "d.yaml"))
        #expect(root["a"]?.string == "1")
        #expect(root["b"] == nil)
    }
}
