import Foundation

/// Reads and writes the shop's wall-clock times (`yyyy-MM-dd HH:mm:ss`) in its time zone.
///
/// Parsing is done by hand on the digits, then the zone's offset for that moment is applied: it runs for every
/// time field of every event, so it must not build a formatter per call.
public struct ShopClock: Sendable {
    /// The zone the platform's bare times are in.
    public let timeZone: TimeZone

    /// The platform's default zone.
    public static let defaultTimeZone = TimeZone(identifier: "Asia/Shanghai")!

    /// A clock for `timeZone` (default `Asia/Shanghai`).
    public init(timeZone: TimeZone = ShopClock.defaultTimeZone) {
        self.timeZone = timeZone
    }

    /// The instant of `yyyy-MM-dd HH:mm:ss` in the shop's zone, or of ISO 8601 (`T`, optional fraction,
    /// `Z` or `±hh:mm`). Nil for an empty or malformed text.
    public func parse(_ text: String) -> Date? {
        var bytes = Array(text.utf8)[...]
        while bytes.first == 0x20 { bytes.removeFirst() }
        while bytes.last == 0x20 { bytes.removeLast() }
        guard bytes.count >= 19 else { return nil }
        let b = Array(bytes)

        guard let year = Self.digits(b, 0, 4), b[4] == UInt8(ascii: "-"), let month = Self.digits(b, 5, 2),
            b[7] == UInt8(ascii: "-"), let day = Self.digits(b, 8, 2),
            b[10] == UInt8(ascii: " ") || b[10] == UInt8(ascii: "T"), let hour = Self.digits(b, 11, 2),
            b[13] == UInt8(ascii: ":"), let minute = Self.digits(b, 14, 2), b[16] == UInt8(ascii: ":"),
            let second = Self.digits(b, 17, 2)
        else { return nil }
        guard (1...12).contains(month), (1...Self.daysIn(month: month, year: year)).contains(day), hour < 24,
            minute < 60, second < 60
        else { return nil }

        var index = 19
        var fraction = 0.0
        if index < b.count, b[index] == UInt8(ascii: ".") {
            index += 1
            var scale = 0.1
            let start = index
            while index < b.count, let digit = Self.digit(b[index]) {
                fraction += Double(digit) * scale
                scale /= 10
                index += 1
            }
            guard index > start else { return nil }
        }
        let civil =
            Self.daysFromCivil(year: year, month: month, day: day) * 86_400 + hour * 3_600 + minute * 60
            + second

        let seconds: Int
        if index == b.count {
            seconds = civil - offset(forCivil: civil)
        } else if let zone = Self.zoneOffset(b[index...]) {
            seconds = civil - zone
        } else {
            return nil
        }
        return Date(timeIntervalSince1970: Double(seconds) + fraction)
    }

    /// `date` in the shop's zone after `pattern`: `yyyy MM dd HH mm ss` are replaced, other characters kept.
    ///
    /// The pattern is read byte by byte (the tokens are ASCII, so none can match inside another character):
    /// matched as substrings, with each field put together from strings, it took about 50,000 instructions,
    /// and the info level writes a due time on every planned notification.
    public func format(_ date: Date, pattern: String) -> String {
        let whole = Int(date.timeIntervalSince1970.rounded(.down))
        let local = whole + timeZone.secondsFromGMT(for: date)
        let days = Int((Double(local) / 86_400).rounded(.down))
        let secondOfDay = local - days * 86_400
        let (year, month, day) = Self.civilFromDays(days)
        let fields: [(token: StaticString, value: Int)] = [
            ("yyyy", year), ("MM", month), ("dd", day), ("HH", secondOfDay / 3_600),
            ("mm", secondOfDay / 60 % 60), ("ss", secondOfDay % 60),
        ]
        var pattern = pattern
        var out: [UInt8] = []
        pattern.withUTF8 { bytes in
            out.reserveCapacity(bytes.count + 4)
            var index = 0
            outer: while index < bytes.count {
                for (token, value) in fields where Self.matches(token, bytes, at: index) {
                    Self.write(value, width: token.utf8CodeUnitCount, into: &out)
                    index += token.utf8CodeUnitCount
                    continue outer
                }
                out.append(bytes[index])
                index += 1
            }
        }
        return String(decoding: out, as: UTF8.self)
    }

    /// Whether `bytes` hold `token` at `index`.
    private static func matches(_ token: StaticString, _ bytes: UnsafeBufferPointer<UInt8>, at index: Int) -> Bool {
        let count = token.utf8CodeUnitCount
        guard index + count <= bytes.count else { return false }
        for offset in 0..<count where bytes[index + offset] != token.utf8Start[offset] { return false }
        return true
    }

    /// `value` in decimal, zero-padded on the left to `width`.
    private static func write(_ value: Int, width: Int, into out: inout [UInt8]) {
        let digits = String(value).utf8
        for _ in digits.count..<max(width, digits.count) { out.append(UInt8(ascii: "0")) }
        out.append(contentsOf: digits)
    }

    /// The zone's offset for a wall-clock time given as seconds since 1970 read as if it were UTC.
    private func offset(forCivil civil: Int) -> Int {
        let first = timeZone.secondsFromGMT(for: Date(timeIntervalSince1970: Double(civil)))
        let second = timeZone.secondsFromGMT(for: Date(timeIntervalSince1970: Double(civil - first)))
        return second
    }

    /// `Z`, `±hh:mm`, `±hhmm` or `±hh` as seconds east of UTC.
    private static func zoneOffset(_ suffix: ArraySlice<UInt8>) -> Int? {
        let b = Array(suffix)
        if b == [UInt8(ascii: "Z")] || b == [UInt8(ascii: "z")] { return 0 }
        guard let sign = b.first, sign == UInt8(ascii: "+") || sign == UInt8(ascii: "-") else { return nil }
        let hours: Int?
        let minutes: Int?
        switch b.count {
        case 3: (hours, minutes) = (digits(b, 1, 2), 0)
        case 5: (hours, minutes) = (digits(b, 1, 2), digits(b, 3, 2))
        case 6 where b[3] == UInt8(ascii: ":"): (hours, minutes) = (digits(b, 1, 2), digits(b, 4, 2))
        default: return nil
        }
        guard let hours, let minutes, hours < 24, minutes < 60 else { return nil }
        let seconds = hours * 3_600 + minutes * 60
        return sign == UInt8(ascii: "-") ? -seconds : seconds
    }

    private static func digits(_ b: [UInt8], _ start: Int, _ count: Int) -> Int? {
        var value = 0
        for index in start..<(start + count) {
            guard let digit = digit(b[index]) else { return nil }
            value = value * 10 + digit
        }
        return value
    }

    private static func digit(_ byte: UInt8) -> Int? {
        (0x30...0x39).contains(byte) ? Int(byte - 0x30) : nil
    }

    private static func daysIn(month: Int, year: Int) -> Int {
        switch month {
        case 2: return (year % 4 == 0 && year % 100 != 0) || year % 400 == 0 ? 29 : 28
        case 4, 6, 9, 11: return 30
        default: return 31
        }
    }

    /// Days since 1970-01-01 of a proleptic Gregorian date (eras of 400 years, March-based years).
    public static func daysFromCivil(year: Int, month: Int, day: Int) -> Int {
        let y = month <= 2 ? year - 1 : year
        let era = (y >= 0 ? y : y - 399) / 400
        let yearOfEra = y - era * 400
        let dayOfYear = (153 * (month + (month > 2 ? -3 : 9)) + 2) / 5 + day - 1
        let dayOfEra = yearOfEra * 365 + yearOfEra / 4 - yearOfEra / 100 + dayOfYear
        return era * 146_097 + dayOfEra - 719_468
    }

    /// The Gregorian date of a day count since 1970-01-01; the inverse of `daysFromCivil`.
    public static func civilFromDays(_ days: Int) -> (year: Int, month: Int, day: Int) {
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
