import Foundation

/// Formats one log record as a logfmt or JSON line.
enum LogLine {
    /// The fields every line starts with; metadata under these names is written as `meta.<name>`.
    static let reservedKeys: Set<String> = ["ts", "level", "msg"]

    static func render(
        format: LogFormat, timestamp: Date, level: LogLevel, message: String, metadata: [String: String]
    ) -> String {
        var fields = [("ts", Timestamp.iso8601(timestamp)), ("level", level.rawValue), ("msg", message)]
        for key in metadata.keys.sorted() {
            fields.append((reservedKeys.contains(key) ? "meta." + key : key, metadata[key]!))
        }
        switch format {
        case .logfmt: return fields.map { logfmtKey($0.0) + "=" + logfmtValue($0.1) }.joined(separator: " ")
        case .json: return "{" + fields.map { jsonString($0.0) + ":" + jsonString($0.1) }.joined(separator: ",") + "}"
        }
    }

    /// A key with every character that would break the pair (space, `=`, `"`, controls) replaced by `_`.
    static func logfmtKey(_ key: String) -> String {
        if key.isEmpty { return "_" }
        var out = ""
        for scalar in key.unicodeScalars {
            let bad = scalar.value <= 0x20 || scalar == "=" || scalar == "\"" || scalar.value == 0x7F
            out.unicodeScalars.append(bad ? "_" : scalar)
        }
        return out
    }

    /// A value bare when it is safe, else quoted with `\"`, `\\`, `\n`, `\r`, `\t` and `\u00XX` escapes.
    static func logfmtValue(_ value: String) -> String {
        let needsQuotes =
            value.isEmpty
            || value.unicodeScalars.contains {
                $0.value <= 0x20 || $0 == "=" || $0 == "\"" || $0 == "\\" || $0.value == 0x7F
            }
        return needsQuotes ? quoted(value) : value
    }

    /// `text` as a JSON string literal.
    static func jsonString(_ text: String) -> String { quoted(text) }

    /// `text` in double quotes with the escapes that JSON and logfmt readers both understand.
    private static func quoted(_ text: String) -> String {
        var out = "\""
        for scalar in text.unicodeScalars {
            switch scalar {
            case "\"": out += "\\\""
            case "\\": out += "\\\\"
            case "\n": out += "\\n"
            case "\r": out += "\\r"
            case "\t": out += "\\t"
            case _ where scalar.value < 0x20 || scalar.value == 0x7F:
                out += "\\u" + String(repeating: "0", count: 4 - String(scalar.value, radix: 16).count)
                out += String(scalar.value, radix: 16)
            default: out.unicodeScalars.append(scalar)
            }
        }
        return out + "\""
    }
}

/// UTC timestamps in RFC 3339 with milliseconds, built by hand because one is made for every line.
enum Timestamp {
    /// `2026-12-03T10:00:00.123Z`.
    static func iso8601(_ date: Date) -> String {
        let millis = Int((date.timeIntervalSince1970 * 1_000).rounded(.down))
        let days = Int((Double(millis) / 86_400_000).rounded(.down))
        let milliOfDay = millis - days * 86_400_000
        let (year, month, day) = civil(days)
        func pad(_ value: Int, _ width: Int) -> String {
            let text = String(value)
            return String(repeating: "0", count: max(0, width - text.count)) + text
        }
        let second = milliOfDay / 1_000
        return pad(year, 4) + "-" + pad(month, 2) + "-" + pad(day, 2) + "T" + pad(second / 3_600, 2) + ":"
            + pad(second / 60 % 60, 2) + ":" + pad(second % 60, 2) + "." + pad(milliOfDay % 1_000, 3) + "Z"
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
