/// How values read when inserted into a notification or a message.
extension Value {
    /// The value as text: times as `yyyy-MM-dd HH:mm:ss` in the zone, lists joined by `, `, null as nothing.
    public func display(_ zone: ZoneMath) -> String {
        switch self {
        case .null: return ""
        case .bool(let flag): return flag ? "true" : "false"
        case .number(let number):
            if number == number.rounded(), abs(number) < 1e15 { return String(Int(number)) }
            return String(number)
        case .string(let text): return text
        case .time(let t): return zone.format(t, pattern: DatePattern.standard)
        case .duration(let seconds): return Durations.format(seconds)
        case .list(let items): return items.map { $0.display(zone) }.joined(separator: ", ")
        }
    }

    /// The value for an explanation: strings quoted so an empty one shows.
    func quoted(_ zone: ZoneMath) -> String {
        switch self {
        case .null: "null"
        case .string(let text): "\"\(text)\""
        case .list(let items): "[" + items.map { $0.quoted(zone) }.joined(separator: ", ") + "]"
        default: display(zone)
        }
    }
}

extension DatePattern {
    /// `yyyy-MM-dd HH:mm:ss`.
    static let standard = DatePattern(parts: [
        .year, .text("-"), .month(pad: true), .text("-"), .day(pad: true), .text(" "),
        .hour(pad: true), .text(":"), .minute, .text(":"), .second,
    ])
}
