import Foundation

/// Formats one log record as a logfmt or JSON line, written byte by byte into one buffer.
///
/// Put together from strings joined and concatenated, with each value walked scalar by scalar, a line took about
/// 55,000 instructions; at the default info level a push writes three.
enum LogLine {
    /// Appends the line to `out`, without a newline: `ts`, `level` and `msg` first, then `fields` in the order
    /// given. A field named like one of the first three is written as `meta.<name>`.
    static func write(
        format: LogFormat, timestamp: Date, level: LogLevel, message: String,
        fields: [(key: String, value: String)], into out: inout [UInt8]
    ) {
        switch format {
        case .logfmt:
            out.append(contentsOf: "ts=".utf8)
            Timestamp.write(timestamp, into: &out)
            out.append(contentsOf: " level=".utf8)
            out.append(contentsOf: level.rawValue.utf8)
            out.append(contentsOf: " msg=".utf8)
            logfmtValue(message, into: &out)
            for (key, value) in fields {
                out.append(UInt8(ascii: " "))
                if isReserved(key) { out.append(contentsOf: "meta.".utf8) }
                logfmtKey(key, into: &out)
                out.append(UInt8(ascii: "="))
                logfmtValue(value, into: &out)
            }
        case .json:
            out.append(contentsOf: #"{"ts":""#.utf8)
            Timestamp.write(timestamp, into: &out)
            out.append(contentsOf: #"","level":""#.utf8)
            out.append(contentsOf: level.rawValue.utf8)
            out.append(contentsOf: #"","msg":"#.utf8)
            quoted(message, into: &out)
            for (key, value) in fields {
                out.append(UInt8(ascii: ","))
                quoted(isReserved(key) ? "meta." + key : key, into: &out)
                out.append(UInt8(ascii: ":"))
                quoted(value, into: &out)
            }
            out.append(UInt8(ascii: "}"))
        }
    }

    /// Whether `key` is one of the fields every line starts with.
    static func isReserved(_ key: String) -> Bool {
        // The length first: comparing every key of every line with three names was most of the cost of this test.
        switch key.utf8.count {
        case 2: key == "ts"
        case 3: key == "msg"
        case 5: key == "level"
        default: false
        }
    }

    /// A key with every byte that would break the pair (space, `=`, `"`, controls) replaced by `_`; `_` for an
    /// empty key. Every such byte is ASCII, so a character beyond it passes whole.
    static func logfmtKey(_ key: String, into out: inout [UInt8]) {
        if key.isEmpty {
            out.append(UInt8(ascii: "_"))
            return
        }
        withBytes(key) { bytes in
            guard let first = bytes.firstIndex(where: breaksKey) else { return out.append(contentsOf: bytes) }
            out.append(contentsOf: UnsafeBufferPointer(rebasing: bytes[..<first]))
            for byte in bytes[first...] { out.append(breaksKey(byte) ? UInt8(ascii: "_") : byte) }
        }
    }

    private static func breaksKey(_ byte: UInt8) -> Bool {
        byte <= 0x20 || byte == UInt8(ascii: "=") || byte == UInt8(ascii: "\"") || byte == 0x7F
    }

    /// A value bare when it is safe, else quoted with `\"`, `\\`, `\n`, `\r`, `\t` and `\u00XX` escapes.
    static func logfmtValue(_ value: String, into out: inout [UInt8]) {
        withBytes(value) { bytes in
            if bytes.isEmpty || bytes.contains(where: { $0 <= 0x20 || $0 == UInt8(ascii: "=") || needsEscape($0) }) {
                quoted(bytes, into: &out)
            } else {
                out.append(contentsOf: bytes)
            }
        }
    }

    /// `text` in double quotes with the escapes that JSON and logfmt readers both understand. Only ASCII bytes
    /// are escaped, so the UTF-8 of other characters is copied as it is.
    static func quoted(_ text: String, into out: inout [UInt8]) {
        withBytes(text) { quoted($0, into: &out) }
    }

    /// `quoted` of UTF-8 bytes: the runs between escapes are copied whole.
    private static func quoted(_ bytes: UnsafeBufferPointer<UInt8>, into out: inout [UInt8]) {
        let hex: StaticString = "0123456789abcdef"
        out.append(UInt8(ascii: "\""))
        var run = 0
        for (index, byte) in bytes.enumerated() where needsEscape(byte) {
            out.append(contentsOf: UnsafeBufferPointer(rebasing: bytes[run..<index]))
            run = index + 1
            switch byte {
            case UInt8(ascii: "\""), UInt8(ascii: "\\"):
                out.append(UInt8(ascii: "\\"))
                out.append(byte)
            case 0x0A: out.append(contentsOf: #"\n"#.utf8)
            case 0x0D: out.append(contentsOf: #"\r"#.utf8)
            case 0x09: out.append(contentsOf: #"\t"#.utf8)
            default:
                out.append(contentsOf: #"\u00"#.utf8)
                out.append(hex.utf8Start[Int(byte >> 4)])
                out.append(hex.utf8Start[Int(byte & 0x0F)])
            }
        }
        out.append(contentsOf: UnsafeBufferPointer(rebasing: bytes[run...]))
        out.append(UInt8(ascii: "\""))
    }

    /// Whether a byte is written escaped inside quotes: `"`, `\`, controls and DEL.
    private static func needsEscape(_ byte: UInt8) -> Bool {
        byte < 0x20 || byte == UInt8(ascii: "\"") || byte == UInt8(ascii: "\\") || byte == 0x7F
    }

    /// Runs `body` on the UTF-8 of `text` in place: walking `String.UTF8View` byte by byte through a closure
    /// took about 25 instructions a byte, the largest part of a line's cost.
    private static func withBytes<R>(_ text: String, _ body: (UnsafeBufferPointer<UInt8>) -> R) -> R {
        var text = text
        return text.withUTF8(body)
    }
}

/// UTC timestamps in RFC 3339 with milliseconds, built by hand because one is made for every line.
enum Timestamp {
    /// `2026-12-03T10:00:00.123Z`.
    static func iso8601(_ date: Date) -> String {
        var out: [UInt8] = []
        write(date, into: &out)
        return String(decoding: out, as: UTF8.self)
    }

    /// Appends `date` as `iso8601` writes it.
    static func write(_ date: Date, into out: inout [UInt8]) {
        let millis = Int((date.timeIntervalSince1970 * 1_000).rounded(.down))
        var days = millis / 86_400_000
        var milliOfDay = millis % 86_400_000
        if milliOfDay < 0 {
            days -= 1
            milliOfDay += 86_400_000
        }
        let (year, month, day) = civil(days)
        let second = milliOfDay / 1_000
        digits(year, 4, into: &out)
        out.append(UInt8(ascii: "-"))
        digits(month, 2, into: &out)
        out.append(UInt8(ascii: "-"))
        digits(day, 2, into: &out)
        out.append(UInt8(ascii: "T"))
        digits(second / 3_600, 2, into: &out)
        out.append(UInt8(ascii: ":"))
        digits(second / 60 % 60, 2, into: &out)
        out.append(UInt8(ascii: ":"))
        digits(second % 60, 2, into: &out)
        out.append(UInt8(ascii: "."))
        digits(milliOfDay % 1_000, 3, into: &out)
        out.append(UInt8(ascii: "Z"))
    }

    /// The decimal digits of `value`, zero-padded to `width`; a negative value (a year before 1) gets its sign.
    private static func digits(_ value: Int, _ width: Int, into out: inout [UInt8]) {
        if width == 2, (0..<100).contains(value) {
            out.append(UInt8(ascii: "0") + UInt8(value / 10))
            out.append(UInt8(ascii: "0") + UInt8(value % 10))
            return
        }
        var value = value
        if value < 0 {
            out.append(UInt8(ascii: "-"))
            value = -value
        }
        var count = 1
        var power = 1
        while power <= value / 10 {
            power *= 10
            count += 1
        }
        for _ in count..<max(width, count) { out.append(UInt8(ascii: "0")) }
        while power > 0 {
            out.append(UInt8(ascii: "0") + UInt8(value / power % 10))
            power /= 10
        }
    }

    /// The Gregorian date of a day count since 1970-01-01 (eras of 400 years, March-based years).
    static func civil(_ days: Int) -> (year: Int, month: Int, day: Int) {
        let z = days + 719_468
        let era = (z >= 0 ? z : z - 146_096) / 146_097
        let dayOfEra = z - era * 146_097
        let yearOfEra = (dayOfEra - dayOfEra / 1_460 + dayOfEra / 36_524 - dayOfEra / 146_096) / 365
        let dayOfYear = dayOfEra - (365 * yearOfEra + yearOfEra / 4 - yearOfEra / 100)
        let monthIndex = (5 * dayOfYear + 2) / 153
        let day = dayOfYear - (153 * monthIndex + 2) / 5 + 1
        let month = monthIndex < 10 ? monthIndex + 3 : monthIndex - 9
        return (yearOfEra + era * 400 + (month <= 2 ? 1 : 0), month, day)
    }
}
