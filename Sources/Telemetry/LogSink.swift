import Foundation

#if canImport(Glibc)
    import Glibc

    private let systemWrite = Glibc.write
#else
    import Darwin

    private let systemWrite = Darwin.write
#endif

/// Where log lines go: formats each accepted record as one line and hands it to a write function.
///
/// Shared by every `Logger` of the process. `lock` guards `minimumLevel` and serializes writes, so lines from
/// different threads never interleave. Metadata with an empty value is left out; phone numbers under phone-like
/// keys are masked; any configured secret found in a message or value is replaced by `***`.
public final class LogSink: @unchecked Sendable {
    /// The line format.
    public let format: LogFormat
    /// Where lines go; nil for standard error, which is written the line's bytes as they are.
    private let write: (@Sendable (String) -> Void)?
    private let now: @Sendable () -> Date
    private let lock = NSLock()
    private var minimumLevel: LogLevel
    /// Longest first, each with whether it is all ASCII (`holds`), which is known once.
    private let secrets: [(text: String, ascii: Bool)]

    /// A sink writing `format` lines at or above `level`.
    /// - Parameters:
    ///   - secrets: values that must never be written (tokens, keys, passwords); shorter than 4 characters
    ///     they are ignored, as replacing them would garble lines without protecting anything.
    ///   - now: the clock for the `ts` field (fixed only in tests).
    ///   - write: receives each line without its newline; nil (the default) writes it to standard error.
    public init(
        format: LogFormat = .logfmt, level: LogLevel = .info, secrets: [String] = [],
        now: @escaping @Sendable () -> Date = { Date() },
        write: (@Sendable (String) -> Void)? = nil
    ) {
        self.format = format
        self.minimumLevel = level
        // Longest first, so a secret that contains another is replaced whole.
        self.secrets = Array(Set(secrets.filter { $0.count >= 4 })).sorted { $0.count > $1.count }
            .map { ($0, $0.utf8.allSatisfy { $0 < 0x80 }) }
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
    ///
    /// The line is put together outside the lock, in one pass over the metadata, and written to standard error in
    /// one call without becoming a string.
    public func log(_ level: LogLevel, _ message: String, _ metadata: [String: String]) {
        log(level, message, context: [:], metadata)
    }

    /// `log` of `context` merged with `metadata`, whose values win, without merging them into a new dictionary.
    func log(_ level: LogLevel, _ message: String, context: [String: String], _ metadata: [String: String]) {
        guard accepts(level) else { return }
        var fields: [(key: String, value: String)] = []
        fields.reserveCapacity(context.count + metadata.count)
        for (key, value) in context where !value.isEmpty && metadata[key] == nil {
            fields.append((key, scrub(Redact.value(value, forKey: key))))
        }
        for (key, value) in metadata where !value.isEmpty {
            fields.append((key, scrub(Redact.value(value, forKey: key))))
        }
        fields.sort { $0.key < $1.key }
        var line: [UInt8] = []
        line.reserveCapacity(256)
        LogLine.write(
            format: format, timestamp: now(), level: level, message: scrub(message), fields: fields, into: &line)
        guard let write else {
            line.append(0x0A)
            lock.withLock { Self.writeAll(line, to: STDERR_FILENO) }
            return
        }
        let text = String(decoding: line, as: UTF8.self)
        lock.withLock { write(text) }
    }

    /// `text` with every configured secret replaced by `***`.
    private func scrub(_ text: String) -> String {
        var out = text
        for secret in secrets where Self.holds(out, secret.text, ascii: secret.ascii) {
            out = out.replacingOccurrences(of: secret.text, with: "***")
        }
        return out
    }

    /// Whether `text` holds `secret`. An ASCII secret is looked for byte by byte (`containsBytes`): Foundation's
    /// `contains` converted the text to UTF-16 for every secret, in the message and every value of every line,
    /// 6 % of the daemon's CPU at the info level. ASCII has no other spelling, so the bytes find every occurrence
    /// Foundation finds; a secret with other characters is still looked for as Foundation compares text.
    static func holds(_ text: String, _ secret: String, ascii: Bool) -> Bool {
        ascii ? text.containsBytes(secret) : text.contains(secret)
    }

    /// Writes all of `bytes` to `descriptor`, again after an interruption or a short write; a failure (a closed
    /// standard error) drops the line, since there is nowhere left to report it.
    static func writeAll(_ bytes: [UInt8], to descriptor: Int32) {
        bytes.withUnsafeBytes { raw in
            guard let base = raw.baseAddress else { return }
            var offset = 0
            while offset < raw.count {
                let written = systemWrite(descriptor, base + offset, raw.count - offset)
                if written > 0 {
                    offset += written
                } else if written < 0 && errno == EINTR {
                    continue
                } else {
                    return
                }
            }
        }
    }
}
