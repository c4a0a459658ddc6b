import Foundation

/// The delivery settings every channel takes: `rate_limit`, `quiet_hours`, `timeout` and `max_age`.
public struct ChannelOptions: Sendable, Equatable {
    /// At most so many sends per period; nil for no limit.
    public var rateLimit: RateLimit?
    /// A daily window in which nothing is sent; sends due inside it move to its end.
    public var quietHours: QuietHours?
    /// How long one attempt may take.
    public var timeout: Duration
    /// How long after a job was created a failing send is still retried.
    public var maxAge: Duration

    /// Makes options; the defaults are a 10 second timeout and a 24 hour maximum age.
    public init(
        rateLimit: RateLimit? = nil, quietHours: QuietHours? = nil, timeout: Duration = .seconds(10),
        maxAge: Duration = .seconds(24 * 3600)
    ) {
        self.rateLimit = rateLimit
        self.quietHours = quietHours
        self.timeout = timeout
        self.maxAge = maxAge
    }

    /// Reads the options from a channel's settings, with `defaultRateLimit` when `rate_limit` is absent.
    static func parse(_ settings: Settings, defaultRateLimit: RateLimit?) throws(ChannelConfigError) -> ChannelOptions {
        var options = ChannelOptions(rateLimit: defaultRateLimit)
        if let text = try settings.string("rate_limit") {
            guard let limit = RateLimit(text) else {
                throw .invalidSetting(
                    channel: settings.channel, key: "rate_limit", reason: "\"\(text)\" is not like 20/min, 5/s or 100/h"
                )
            }
            options.rateLimit = limit
        }
        if let text = try settings.string("quiet_hours") {
            guard let quiet = QuietHours(text) else {
                throw .invalidSetting(
                    channel: settings.channel, key: "quiet_hours", reason: "\"\(text)\" is not like 21:00-08:00")
            }
            options.quietHours = quiet
        }
        for key in ["timeout", "max_age"] {
            guard let text = try settings.string(key) else { continue }
            guard let duration = DurationText.parse(text), duration > .zero else {
                throw .invalidSetting(channel: settings.channel, key: key, reason: "\"\(text)\" is not like 10s or 24h")
            }
            if key == "timeout" { options.timeout = duration } else { options.maxAge = duration }
        }
        return options
    }
}

/// A rate such as `20/min`: `count` sends per `period`.
public struct RateLimit: Sendable, Equatable {
    /// How many sends a period allows.
    public var count: Int
    /// The period.
    public var period: Duration

    /// Makes a limit of `count` sends per `period`.
    public init(count: Int, period: Duration) {
        self.count = count
        self.period = period
    }

    /// Parses `N/s`, `N/min`, `N/h` (also `sec`, `second`, `m`, `minute`, `hour`, `d`, `day`); nil otherwise.
    public init?(_ text: String) {
        let parts = text.replacingOccurrences(of: " ", with: "").lowercased().split(separator: "/")
        guard parts.count == 2, let count = Int(parts[0]), count > 0 else { return nil }
        let seconds: Int64
        switch parts[1] {
        case "s", "sec", "second": seconds = 1
        case "m", "min", "minute": seconds = 60
        case "h", "hour": seconds = 3600
        case "d", "day": seconds = 86400
        default: return nil
        }
        self.init(count: count, period: .seconds(seconds))
    }

    /// The robot limit WeCom and DingTalk enforce: 20 messages a minute.
    public static let chatRobot = RateLimit(count: 20, period: .seconds(60))
}

/// A daily window such as `21:00-08:00` (which spans midnight) in which nothing is sent.
public struct QuietHours: Sendable, Equatable {
    /// The window's start in minutes after midnight.
    public var start: Int
    /// The window's end in minutes after midnight.
    public var end: Int

    /// Makes a window from minutes after midnight; start and end differ.
    public init(start: Int, end: Int) {
        self.start = start
        self.end = end
    }

    /// Parses `HH:mm-HH:mm`; nil for bad text or an empty window.
    public init?(_ text: String) {
        let parts = text.replacingOccurrences(of: " ", with: "").split(separator: "-")
        guard parts.count == 2, let start = QuietHours.minutes(parts[0]), let end = QuietHours.minutes(parts[1]),
            start != end
        else { return nil }
        self.init(start: start, end: end)
    }

    /// Whether the minute of day `minute` lies inside the window (start included, end excluded).
    public func contains(minuteOfDay minute: Int) -> Bool {
        start < end ? (minute >= start && minute < end) : (minute >= start || minute < end)
    }

    /// `due` unchanged when outside the window, else the window's end that follows it, in `timeZone`.
    public func adjust(_ due: Date, timeZone: TimeZone) -> Date {
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = timeZone
        let parts = calendar.dateComponents([.hour, .minute], from: due)
        let minute = (parts.hour ?? 0) * 60 + (parts.minute ?? 0)
        guard contains(minuteOfDay: minute) else { return due }
        var day = calendar.startOfDay(for: due)
        if start > end && minute >= start {
            day = calendar.date(byAdding: .day, value: 1, to: day) ?? day
        }
        return calendar.date(bySettingHour: end / 60, minute: end % 60, second: 0, of: day) ?? due
    }

    private static func minutes(_ text: Substring) -> Int? {
        let parts = text.split(separator: ":")
        guard parts.count == 2, let hour = Int(parts[0]), let minute = Int(parts[1]), (0...24).contains(hour),
            (0..<60).contains(minute), hour * 60 + minute <= 1440
        else { return nil }
        return (hour * 60 + minute) % 1440
    }
}

/// Durations written as in the config: `90s`, `500ms`, `30m`, `2h`, `1d`, `1h30m`, or bare seconds.
public enum DurationText {
    /// Parses `text`; nil when it is not a duration.
    public static func parse(_ text: String) -> Duration? {
        let text = text.trimmingCharacters(in: .whitespaces).lowercased()
        if let seconds = Int64(text) { return .seconds(seconds) }
        var total = Duration.zero
        var digits = ""
        var unit = ""
        var any = false
        func flush() -> Bool {
            guard let value = Int64(digits) else { return false }
            let scale: Duration
            switch unit {
            case "ms": scale = .milliseconds(1)
            case "s", "sec": scale = .seconds(1)
            case "m", "min": scale = .seconds(60)
            case "h": scale = .seconds(3600)
            case "d": scale = .seconds(86400)
            default: return false
            }
            total += scale * value
            digits = ""
            unit = ""
            any = true
            return true
        }
        for character in text {
            if character.isASCII && character.isNumber {
                if !unit.isEmpty && !flush() { return nil }
                digits.append(character)
            } else if character.isLetter {
                guard !digits.isEmpty else { return nil }
                unit.append(character)
            } else {
                return nil
            }
        }
        guard !digits.isEmpty, flush(), any else { return nil }
        return total
    }
}
