import Events
import Foundation

/// Calendar arithmetic in the shop's zone without `Calendar`, which is too slow for the evaluation loop.
public struct ZoneMath: Sendable {
    public let zone: TimeZone

    /// Arithmetic in `zone`.
    public init(zone: TimeZone) { self.zone = zone }

    /// Seconds east of UTC at time `t`.
    @inlinable func offset(at t: Double) -> Double {
        Double(zone.secondsFromGMT(for: Date(timeIntervalSince1970: t)))
    }

    /// Local fields of `t`: year, month, day, hour, minute, second, weekday (1 = Monday).
    func fields(_ t: Double) -> (year: Int, month: Int, day: Int, hour: Int, minute: Int, second: Int, weekday: Int) {
        let local = Int((t + offset(at: t)).rounded(.down))
        let days = local >= 0 ? local / 86400 : (local - 86399) / 86400
        let seconds = local - days * 86400
        let (year, month, day) = ShopClock.civilFromDays(days)
        let weekday = ((days % 7 + 7) % 7 + 3) % 7 + 1  // 1970-01-01 was a Thursday
        return (year, month, day, seconds / 3600, seconds / 60 % 60, seconds % 60, weekday)
    }

    /// The start of the local day holding `t`.
    func startOfDay(_ t: Double) -> Double {
        let local = t + offset(at: t)
        let midnightLocal = (local / 86400).rounded(.down) * 86400
        let guess = midnightLocal - offset(at: t)
        return midnightLocal - offset(at: guess)
    }

    /// Parses `yyyy-MM-dd HH:mm:ss` (or `yyyy-MM-dd`) in the zone.
    func parse(_ text: String) -> Double? {
        let parts = text.split(whereSeparator: { $0 == "-" || $0 == " " || $0 == ":" || $0 == "T" }).map { Int($0) }
        guard parts.count == 6 || parts.count == 3, parts.allSatisfy({ $0 != nil }) else { return nil }
        let n = parts.map { $0! }
        guard (1...12).contains(n[1]), (1...31).contains(n[2]) else { return nil }
        let clock = n.count == 6 ? n[3] * 3600 + n[4] * 60 + n[5] : 0
        let local = Double(ShopClock.daysFromCivil(year: n[0], month: n[1], day: n[2]) * 86400 + clock)
        let guess = local - offset(at: local)
        return local - offset(at: guess)
    }

    /// Formats `t` with `yyyy MM dd HH mm ss` (also `M d H` unpadded, `E` weekday 1-7); other text is kept.
    func format(_ t: Double, pattern: DatePattern) -> String {
        let f = fields(t)
        var out = ""
        for part in pattern.parts {
            switch part {
            case .text(let text): out += text
            case .year: out += String(f.year)
            case .month(let pad): out += Self.number(f.month, pad)
            case .day(let pad): out += Self.number(f.day, pad)
            case .hour(let pad): out += Self.number(f.hour, pad)
            case .minute: out += Self.number(f.minute, true)
            case .second: out += Self.number(f.second, true)
            case .weekday: out += String(f.weekday)
            }
        }
        return out
    }

    private static func number(_ value: Int, _ pad: Bool) -> String {
        pad && value < 10 ? "0\(value)" : String(value)
    }
}

/// A `date` filter pattern, split once at load time.
public struct DatePattern: Sendable, Equatable {
    enum Part: Sendable, Equatable {
        case text(String)
        case year, month(pad: Bool), day(pad: Bool), hour(pad: Bool), minute, second, weekday
    }

    let parts: [Part]

    /// An ASCII letter run that is no pattern field (ASCII letters are reserved for fields).
    struct UnknownField: Error { let run: String }

    /// Splits `pattern` into fields and literal text.
    static func parse(_ pattern: String) throws(UnknownField) -> DatePattern {
        var parts: [Part] = []
        var text = ""
        var index = pattern.startIndex
        while index < pattern.endIndex {
            let letter = pattern[index]
            var end = index
            while end < pattern.endIndex, pattern[end] == letter { end = pattern.index(after: end) }
            let run = String(pattern[index..<end])
            let part: Part?
            switch run {
            case "yyyy": part = .year
            case "MM", "M": part = .month(pad: run.count == 2)
            case "dd", "d": part = .day(pad: run.count == 2)
            case "HH", "H": part = .hour(pad: run.count == 2)
            case "mm": part = .minute
            case "ss": part = .second
            case "E": part = .weekday
            default:
                guard !(letter.isASCII && letter.isLetter) else { throw UnknownField(run: run) }
                part = nil
            }
            if let part {
                if !text.isEmpty { parts.append(.text(text)) }
                text = ""
                parts.append(part)
            } else {
                text += run
            }
            index = end
        }
        if !text.isEmpty { parts.append(.text(text)) }
        return DatePattern(parts: parts)
    }
}
