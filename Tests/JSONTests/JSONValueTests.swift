import JSON
import Testing

@Suite struct JSONParsing {
    @Test func keepsLargeIntegersAsTheirExactDigits() throws {
        let value = try JSONValue.parse(#"{"order_id": 634089652327989200, "big": 123456789012345678901234567890}"#)
        #expect(value["order_id"] == .number("634089652327989200"))
        #expect(value["big"]?.idText == "123456789012345678901234567890")
    }

    @Test func decodesEscapesAndSurrogatePairs() throws {
        let value = try JSONValue.parse(#"["a\"b\\c\n", "\u6211\ud83d\ude00", "成功"]"#)
        #expect(value == .array(["a\"b\\c\n", "我😀", "成功"]))
    }

    @Test func keepsMemberOrderWhenSerializing() throws {
        let text = #"{"z":1,"a":[true,false,null],"m":{"x":"y"},"n":-1.5e3}"#
        #expect(try JSONValue.parse(text).serialized() == text)
    }

    @Test(arguments: ["", "{", "[1,]", "{\"a\"}", "01", "\"\u{01}\"", "tru", "[1] x", "\"\\x\"", "\"\\ud800\""])
    func rejectsMalformedInput(_ text: String) {
        #expect(throws: JSONError.self) { try JSONValue.parse(text) }
    }

    @Test func rejectsNestingBeyondTheLimitWithoutCrashing() {
        let bomb = String(repeating: "[", count: 100_000) + String(repeating: "]", count: 100_000)
        #expect(throws: JSONError.self) { try JSONValue.parse(bomb) }
    }

    /// Each ill-formed sequence alone, and between Chinese text, where a repair might pass for the real thing: a
    /// truncated four-byte sequence and the replacement character it would become are both three bytes.
    @Test(
        arguments: [
            [0xFF, 0xFE], [0xC0, 0x80], [0xED, 0xA0, 0x80], [0xF0, 0x9F, 0x98], [0xF4, 0x90, 0x80, 0x80], [0x80],
            [0xE6, 0x88],
        ] as [[UInt8]])
    func rejectsInvalidUTF8(_ sequence: [UInt8]) {
        #expect(throws: JSONError.self) { try JSONValue.parse([0x22] + sequence + [0x22]) }
        let chinese = Array("张杨".utf8)
        #expect(throws: JSONError.self) { try JSONValue.parse([0x22] + chinese + sequence + chinese + [0x22]) }
    }

    @Test func keepsValidUTF8ByteForByte() throws {
        let text = "张杨 \u{FFFD} 😀 é \u{10FFFF}"
        #expect(try JSONValue.parse([0x22] + Array(text.utf8) + [0x22]) == .string(text))
    }

    /// Strings are scanned eight bytes at a time: put each kind of special byte at every position of the first
    /// words, so a mistake at a word boundary shows.
    @Test func findsEverySpecialByteWhereverItFallsInAWord() throws {
        for length in 0..<20 {
            for position in 0...length {
                let before = String(repeating: "a", count: position)
                let after = String(repeating: "b", count: length - position)
                let cases: [(String, String?)] = [
                    (before + #"\\"# + after, before + "\\" + after),
                    (before + #"\""# + after, before + "\"" + after),
                    (before + #"\u00e9"# + after, before + "é" + after),
                    (before + "成" + after, before + "成" + after),
                    (before + "\u{01}" + after, nil),
                ]
                for (inner, expected) in cases {
                    let text = "[\"" + inner + "\"]"
                    if let expected {
                        #expect(try JSONValue.parse(text) == .array([.string(expected)]), "\(text)")
                    } else {
                        #expect(throws: JSONError.self, "\(text)") { try JSONValue.parse(text) }
                    }
                }
                var invalid = Array(("[\"" + before).utf8) + [0xC3] + Array((after + "\"]").utf8)
                #expect(throws: JSONError.self) { try JSONValue.parse(invalid) }
                invalid = Array(("[\"" + before + #"\n"#).utf8) + [0xFF] + Array((after + "\"]").utf8)
                #expect(throws: JSONError.self) { try JSONValue.parse(invalid) }
                #expect(throws: JSONError.self) { try JSONValue.parse("[\"" + before + after) }
            }
        }
    }

    /// The platform sends JSON inside strings, a backslash every few bytes; such a string is put together byte by
    /// byte once its first escape is seen.
    @Test func decodesAStringOfEscapedJSONAndEveryKindOfEscapeAfterTheFirst() throws {
        let inner = #"{"id":"459059510902239232","strVal":"ss","aryVal":[],"name":"张杨"}"#
        let quoted = inner.split(separator: "\"", omittingEmptySubsequences: false).joined(separator: #"\""#)
        let value = try JSONValue.parse(#"{"complete_value":""# + quoted + #""}"#)
        #expect(value["complete_value"]?.stringValue == inner)
        #expect(try JSONValue.parse(value["complete_value"]!.stringValue!)["name"] == "张杨")

        let mixed = try JSONValue.parse(#"["a\"b\\c\/d\b\f\n\r\t\u00e9\u6211\ud83d\ude00 end"]"#)
        #expect(mixed == ["a\"b\\c/d\u{08}\u{0C}\n\r\té我😀 end"])
        // After an escape, a raw control character, invalid UTF-8 and a missing quote are still refused.
        let control = try #require(throws: JSONError.self) {
            try JSONValue.parse(Array(#"["\n"#.utf8) + [0x01] + Array(#""]"#.utf8))
        }
        #expect(control.offset == 4 && control.message == "control character in a string")
        #expect(throws: JSONError.self) {
            try JSONValue.parse(Array(#"["\n"#.utf8) + [0xC3, 0x28] + Array(#""]"#.utf8))
        }
        #expect(throws: JSONError.self) { try JSONValue.parse(#"["\n abc"#) }
        #expect(throws: JSONError.self) { try JSONValue.parse(#"["\q"]"#) }
    }

    @Test func escapesControlCharactersSoValuesCannotBreakStructure() throws {
        let value: JSONValue = ["name": "a\"},\u{01}\n{"]
        let text = value.serialized()
        #expect(text == #"{"name":"a\"},\u0001\n{"}"#)
        #expect(try JSONValue.parse(text) == value)
    }

    /// The serializer measures the text before writing it and finds escapes eight bytes at a time: put each kind
    /// of special byte at every position of the first words, so a miscount or a missed byte at a boundary shows.
    @Test func serializingEscapesEverySpecialByteWhereverItFallsInAWord() throws {
        let specials: [(String, String)] = [
            ("\"", #"\""#), ("\\", #"\\"#), ("\n", #"\n"#), ("\u{1F}", #"\u001f"#), ("\t", #"\t"#), ("成", "成"),
        ]
        for length in 0..<20 {
            for position in 0...length {
                let before = String(repeating: "a", count: position)
                let after = String(repeating: "b", count: length - position)
                for (raw, escaped) in specials {
                    let value: JSONValue = [.string(before + raw + after), .string(raw + raw), .number("1")]
                    let text = #"[""# + before + escaped + after + #"",""# + escaped + escaped + #"",1]"#
                    #expect(value.serialized() == text)
                    #expect(try JSONValue.parse(value.serializedBytes()) == value)
                }
            }
        }
        #expect(JSONValue.array([]).serialized() == "[]")
        #expect(JSONValue.object(JSONObject()).serialized() == "{}")
        #expect(JSONValue.string("").serialized() == #""""#)
        var out = Array("x=".utf8)
        JSONValue.writeString("a\"b", into: &out)
        #expect(String(decoding: out, as: UTF8.self) == #"x="a\"b""#)
    }

    @Test func readsNumbersGivenAsStrings() {
        #expect(JSONValue.string("10").intValue == 10)
        #expect(JSONValue.number("20").intValue == 20)
        #expect(JSONValue.string("x").intValue == nil)
    }

    @Test func anObjectWithARepeatedNameEqualsItselfAndKeepsItsTextThroughARoundTrip() throws {
        // Found by fuzz-json: a pushed envelope with "action" twice.
        let text = #"{"action":"A","id":1,"action":"B"}"#
        let value = try JSONValue.parse(text)
        #expect(value["action"] == "B")
        #expect(try JSONValue.parse(value.serializedBytes()) == value)
        #expect(value.serialized() == text)
        #expect(value == (try JSONValue.parse(#"{"id":1,"action":"B"}"#)))
        #expect(value != (try JSONValue.parse(#"{"id":1,"action":"A"}"#)))
        #expect(Set([value, try JSONValue.parse(#"{"id":1,"action":"B"}"#)]).count == 1)
    }
}
