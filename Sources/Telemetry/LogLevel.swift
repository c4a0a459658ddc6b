/// How important a log line is; a sink drops lines below its level.
public enum LogLevel: String, Comparable, Sendable, CaseIterable {
    /// Detail for whoever debugs the daemon.
    case debug
    /// What an operator wants to see: event accepted, notification sent, rules reloaded.
    case info
    /// A failure that will be retried.
    case warning
    /// A failure that was given up on.
    case error

    private var rank: Int {
        switch self {
        case .debug: return 0
        case .info: return 1
        case .warning: return 2
        case .error: return 3
        }
    }

    public static func < (lhs: LogLevel, rhs: LogLevel) -> Bool { lhs.rank < rhs.rank }
}

/// The shape of a log line.
public enum LogFormat: String, Sendable, CaseIterable {
    /// `key=value` pairs, quoted where needed.
    case logfmt
    /// One JSON object per line.
    case json
}
