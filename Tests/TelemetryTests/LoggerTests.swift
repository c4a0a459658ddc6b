import Foundation
import Testing

@testable import Telemetry

@Suite struct LoggerTests {
    @Test func aLogfmtLineReadsBackWithFixedFieldsFirstAndKeysSorted() throws {
        let capture = Capture()
        let logger = Logger(sink: capture.sink(.logfmt)).with(["rule": "x"])
        logger.info("event accepted", ["event.id": "abc"])
        #expect(capture.lines == [#"ts=2026-12-03T10:00:00.123Z level=info msg="event accepted" event.id=abc rule=x"#])
        let pairs = Logfmt.parse(try #require(capture.lines.first))
        #expect(pairs.map(\.key) == ["ts", "level", "msg", "event.id", "rule"])
    }

    @Test func awkwardValuesSurviveTheLogfmtRoundTrip() throws {
        let capture = Capture()
        let awkward = [
            "space": "a b", "quote": #"say "hi""#, "newline": "one\ntwo\r\n", "equals": "k=v", "slash": #"c:\dir"#,
            "control": "bell\u{07}tab\t", "unicode": "张杨 预约",
        ]
        Logger(sink: capture.sink(.logfmt)).warning("send failed; will retry", awkward)
        let line = try #require(capture.lines.first)
        #expect(!line.contains("\n"))
        let pairs = Logfmt.parse(line)
        #expect(pairs.count == 3 + awkward.count)
        #expect(pairs[2].value == "send failed; will retry")
        for (key, value) in pairs.dropFirst(3) { #expect(awkward[key] == value, "\(key)") }
    }

    @Test func aJSONLineParsesBackToTheSameFields() throws {
        let capture = Capture()
        let metadata = ["event.id": "abc", "note": "line\n\"two\"\\ \u{01}", "level": "shadowed"]
        Logger(sink: capture.sink(.json)).error("notification given up", metadata)
        let line = try #require(capture.lines.first)
        #expect(line.hasPrefix(#"{"ts":"2026-12-03T10:00:00.123Z","level":"error","msg":"notification given up","#))
        let object = try #require(try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: String])
        #expect(object["event.id"] == "abc")
        #expect(object["note"] == metadata["note"])
        #expect(object["level"] == "error")
        #expect(object["meta.level"] == "shadowed")
    }

    /// Keys that would break a pair are mended, and a key named like a fixed field moves aside, in both formats.
    @Test func awkwardKeysAndFixedFieldNamesKeepTheLineReadable() throws {
        let capture = Capture()
        let metadata = ["a b=\"c": "1", "": "2", "msg": "3", "预约": "4"]
        Logger(sink: capture.sink(.logfmt)).info("m", metadata)
        Logger(sink: capture.sink(.json)).info("m", metadata)
        let keys = Logfmt.parse(capture.lines[0]).map(\.key)
        #expect(keys == ["ts", "level", "msg", "_", "a_b__c", "meta.msg", "预约"])
        let object = try #require(
            try JSONSerialization.jsonObject(with: Data(capture.lines[1].utf8)) as? [String: String])
        #expect(object["a b=\"c"] == "1" && object[""] == "2" && object["meta.msg"] == "3" && object["msg"] == "m")
        #expect(object["预约"] == "4")
        Logger(sink: capture.sink(.json)).info("del\u{7F}")
        #expect(capture.lines[2].contains(#""msg":"del\u007f""#))
    }

    /// Times before 1970, on a leap day and at the end of a day are written as RFC 3339 with milliseconds.
    @Test(arguments: [
        (0.0, "1970-01-01T00:00:00.000Z"), (-0.5, "1969-12-31T23:59:59.500Z"),
        (951_782_400.5, "2000-02-29T00:00:00.500Z"), (1_796_342_399.999, "2026-12-03T23:59:59.999Z"),
        (253_402_300_799.0, "9999-12-31T23:59:59.000Z"),
    ])
    func timestampsAreWrittenInUTCWithMilliseconds(_ seconds: Double, _ text: String) {
        #expect(Timestamp.iso8601(Date(timeIntervalSince1970: seconds)) == text)
    }

    @Test func linesBelowTheSinkLevelAreDropped() {
        let capture = Capture()
        let sink = capture.sink(.logfmt, level: .warning)
        let logger = Logger(sink: sink)
        logger.debug("d")
        logger.info("i")
        logger.warning("w")
        logger.error("e")
        sink.level = .debug
        logger.debug("d2")
        #expect(capture.lines.map { Logfmt.parse($0)[2].value } == ["w", "e", "d2"])
        #expect(LogLevel.debug < .info && LogLevel.warning < .error)
    }

    @Test func callMetadataOverridesTheContextAndContextsStack() {
        let capture = Capture()
        let base = Logger(sink: capture.sink(.logfmt)).with(["channel": "wecom", "attempt": "1"])
        base.with(["attempt": "2"]).info("notification sent", ["job": "j1"])
        base.info("notification sent", ["attempt": "3"])
        let first = Dictionary(uniqueKeysWithValues: Logfmt.parse(capture.lines[0]).map { ($0.key, $0.value) })
        let second = Dictionary(uniqueKeysWithValues: Logfmt.parse(capture.lines[1]).map { ($0.key, $0.value) })
        #expect(first["attempt"] == "2" && first["channel"] == "wecom" && first["job"] == "j1")
        #expect(second["attempt"] == "3" && second["job"] == nil)
        // An empty value given at the call leaves the context's out of the line too.
        base.info("notification sent", ["channel": ""])
        #expect(Logfmt.parse(capture.lines[2]).map(\.key) == ["ts", "level", "msg", "attempt"])
    }

    @Test func metadataWithAnEmptyValueIsLeftOutOfTheLine() {
        let capture = Capture()
        Logger(sink: capture.sink(.logfmt)).info("notification planned", ["reason": "", "rule": "r"])
        Logger(sink: capture.sink(.json)).info("notification planned", ["reason": "", "rule": "r"])
        #expect(capture.lines.count == 2)
        #expect(capture.lines.allSatisfy { !$0.contains("reason") && $0.contains("rule") })
        #expect(Logfmt.parse(capture.lines[0]).map(\.key) == ["ts", "level", "msg", "rule"])
    }

    @Test func configuredSecretsAreReplacedInMessagesAndValues() {
        let capture = Capture()
        let sink = LogSink(format: .logfmt, secrets: ["tok-123456", "abc", ""], write: { capture.append($0) })
        Logger(sink: sink).error("bad tok-123456", ["url": "https://h/x?key=tok-123456", "short": "abc"])
        let line = capture.lines.joined()
        #expect(!line.contains("tok-123456"))
        #expect(line.contains("msg=\"bad ***\"") && line.contains("key=***"))
        // Too short to be a secret worth garbling a line for.
        #expect(line.contains("short=abc"))
    }

    /// Secrets are found wherever they stand: at either end, next to Chinese text, repeated; and one with
    /// characters beyond ASCII too.
    @Test func secretsAreFoundAtEitherEndBesideOtherTextAndBeyondASCII() {
        let capture = Capture()
        let sink = LogSink(format: .logfmt, secrets: ["k3y-9Zq", "密码口令"], write: { capture.append($0) })
        let values = [
            "a": "k3y-9Zq", "b": "门店k3y-9Zq", "c": "k3y-9Zq门店", "d": "x k3y-9Zq y k3y-9Zq", "e": "k3y-9Z",
            "f": "是密码口令吗",
        ]
        Logger(sink: sink).error("k3y-9Zq", values)
        let line = capture.lines.joined()
        #expect(!line.contains("k3y-9Zq") && !line.contains("密码口令"))
        let fields = Dictionary(uniqueKeysWithValues: Logfmt.parse(line).map { ($0.key, $0.value) })
        #expect(fields["msg"] == "***")
        #expect(fields["a"] == "***" && fields["b"] == "门店***" && fields["c"] == "***门店")
        #expect(fields["d"] == "x *** y ***" && fields["e"] == "k3y-9Z" && fields["f"] == "是***吗")
        let secret = (text: "k3y-9Zq", ascii: Optional(Array("k3y-9Zq".utf8)))
        #expect(!LogSink.holds("", secret) && !LogSink.holds("k3y", secret))
    }

    /// With ASCII secrets only, each value is searched for all of them in one pass (`holdsASCIISecret`).
    @Test func asciiSecretsAreFoundWhereverTheyStandInAValue() {
        let capture = Capture()
        // Two secrets begin alike, so a near miss of one must not hide the other behind it.
        let sink = LogSink(format: .logfmt, secrets: ["tok-AAAA", "tok-BBBB", "zz99"], write: { capture.append($0) })
        let values = [
            "a": "tok-AAAA", "b": "xtok-AAAtok-BBBB", "c": "tok-BBBBy", "d": "门店zz99", "e": "tok-AAA", "f": "zz9",
            "g": "tok-AAtok-AAAA", "h": "tok", "i": "plain-text-without-any",
        ]
        Logger(sink: sink).info("sent with zz99", values)
        let fields = Dictionary(uniqueKeysWithValues: Logfmt.parse(capture.lines.joined()).map { ($0.key, $0.value) })
        #expect(fields["msg"] == "sent with ***")
        #expect(fields["a"] == "***" && fields["b"] == "xtok-AAA***" && fields["c"] == "***y")
        #expect(fields["d"] == "门店***")
        #expect(fields["e"] == "tok-AAA" && fields["f"] == "zz9" && fields["g"] == "tok-AA***" && fields["h"] == "tok")
        #expect(fields["i"] == "plain-text-without-any")
    }

    @Test func phoneNumbersInMetadataAreMaskedInBothFormats() {
        let capture = Capture()
        let metadata = ["appointment_user_phone": "13812341234", "Mobile": "+8613812341234", "order": "13812341234"]
        Logger(sink: capture.sink(.logfmt)).info("sms sent", metadata)
        Logger(sink: capture.sink(.json)).info("sms sent", metadata)
        for line in capture.lines {
            #expect(line.contains("138****1234"))
            #expect(line.contains("+86138****1234"))
        }
        // Only phone-like keys are masked; an order number of the same shape is left alone.
        #expect(capture.lines.allSatisfy { $0.contains("13812341234") })
        // Keys are matched without case, and one with characters beyond ASCII as well.
        let others = ["USER_PHONE_2": "13900001111", "Reason": "to 13700002222 failed", "联系phone": "13600003333"]
        #expect(
            Redact.metadata(others) == [
                "USER_PHONE_2": "139****1111", "Reason": "to 137****2222 failed", "联系phone": "136****3333",
            ])
    }

    @Test func linesFromManyThreadsNeverInterleave() {
        let capture = Capture()
        let logger = Logger(sink: capture.sink(.json))
        DispatchQueue.concurrentPerform(iterations: 8) { thread in
            for index in 0..<100 { logger.info("tick", ["thread": "\(thread)", "index": "\(index)"]) }
        }
        #expect(capture.lines.count == 800)
        #expect(
            capture.lines.allSatisfy {
                (try? JSONSerialization.jsonObject(with: Data($0.utf8))) as? [String: String] != nil
            })
    }
}

@Suite struct RedactTests {
    @Test func aMainlandMobileKeepsItsFirstThreeAndLastFourDigits() {
        #expect(Redact.phone("13812341234") == "138****1234")
        #expect(Redact.phone("+8613812341234") == "+86138****1234")
        #expect(Redact.phone("008613812341234") == "0086138****1234")
    }

    @Test func aMobileQuotedInAReasonIsMaskedAndLongerNumbersStay() {
        let reason = "isv.MOBILE_NUMBER_ILLEGAL: 13812341234 (+8613900001111), order Y634089652417560576 at 20241015"
        let masked = Redact.mobilesInText(reason)
        #expect(masked.contains("138****1234") && masked.contains("+86139****1111"))
        #expect(masked.contains("Y634089652417560576") && masked.contains("20241015"))
        let capture = Capture()
        Logger(sink: capture.sink(.logfmt)).error("notification failed", ["reason": reason, "note": "13812341234"])
        #expect(capture.lines.first?.contains("reason=\"isv.MOBILE_NUMBER_ILLEGAL: 138****1234") == true)
        // Only free-text keys are searched; other values keep their digits.
        #expect(capture.lines.first?.contains("note=13812341234") == true)
    }

    @Test func aNumberThePlatformMaskedIsLeftAsItIs() {
        #expect(Redact.phone("_hidden_5bc2c26b_") == "_hidden_5bc2c26b_")
    }

    @Test func otherTextKeepsAtMostThreeAndFourCharacters() {
        #expect(Redact.phone("+14155550123") == "+14*****0123")
        #expect(Redact.phone("021-12345678") == "021*****5678")
        #expect(Redact.phone("5550123") == "5****23")
        #expect(Redact.phone("12") == "**")
        #expect(Redact.phone("") == "")
        let masked = Redact.phone("not a phone number at all")
        #expect(masked.hasPrefix("not") && masked.hasSuffix("all") && masked.count == 25)
    }
}
