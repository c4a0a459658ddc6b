import Foundation

/// Where log lines go: formats each accepted record as one line and hands it to a write function.
///
/// Shared by every `Logger` of the process. `lock` guards `minimumLevel` and serializes writes, so lines from
/// different threads never interleave.
public final class LogSink: @unchecked Sendable {
    /// The line format.
    public let format: LogFormat
    private let write: @Sendable (String) -> Void
    private let now: @Sendable () -> Date
    private let lock = NSLock()
    private var minimumLevel: LogLevel

    /// A sink writing `format` lines at or above `level`.
    /// - Parameters:
    ///   - now: the clock for the `ts` field (fixed only in tests).
    ///   - write: receives each line without its newline; by default it goes to standard error.
    public init(
        format: LogFormat = .logfmt, level: LogLevel = .info, now: @escaping @Sendable () -> Date = { Date() },
        write: @escaping @Sendable (String) -> Void = LogSink.writeToStandardError
    ) {
        self.format = format
        self.minimumLevel = level
        self.now = now
        self.write = write
    }

    /// The lowest level written; can change while running (on reload).
    public var level: LogLevel {
        get { lock.withLock { minimumLevel } }
        set { lock.withLock { minimumLevel = newValue } }
    }

    /// Whether a line of `level` would be written.
    public func accepts(_ level: LogLevel) -> Bool { level >= self.level }

    /// Formats and writes one record, unless its level is below the sink's.
    public func log(_ level: LogLevel, _ message: String, _ metadata: [String: String]) {
        guard accepts(level) else { return }
        let line = LogLine.render(
            format: format, timestamp: now(), level: level, message: message, metadata: Redact.metadata(metadata))
        lock.withLock { write(line) }
    }

    /// Writes `line` and a newline to standard error in one call.
    @Sendable public static func writeToStandardError(_ line: String) {
        FileHandle.standardError.write(Data((line + "\n").utf8))
    }
}
