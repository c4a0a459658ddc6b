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
    /// Longest first, each with its UTF-8 when it is all ASCII (`holds`), which is known once.
    private let secrets: [(text: String, ascii: [UInt8]?)]
    /// The fewest UTF-8 bytes of any secret: shorter text holds none, and is not searched.
    private let shortestSecret: Int
    /// The ASCII secrets' bytes, each looked for in a value by `holdsASCIISecret`.
    private let asciiSecrets: [[UInt8]]
    /// Whether some secret has other characters, which `holdsASCIISecret` does not look for.
    private let otherSecrets: Bool

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
            .map { ($0, $0.utf8.allSatisfy { $0 < 0x80 } ? Array($0.utf8) : nil) }
        shortestSecret = self.secrets.map(\.text.utf8.count).min() ?? Int.max
        asciiSecrets = self.secrets.compactMap(\.ascii)
        otherSecrets = asciiSecrets.count < self.secrets.count
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
        for (key, value) in metadata where !value.isEmpty {
            fields.append((key, scrub(Redact.value(value, forKey: key))))
        }
        // A line's metadata holds a few keys: comparing with each costs less than hashing the key to look it up.
        let few = metadata.count <= 8
        for (key, value) in context where !value.isEmpty {
            if few ? metadata.contains(where: { $0.key == key }) : metadata[key] != nil { continue }
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
        guard text.utf8.count >= shortestSecret, otherSecrets || holdsASCIISecret(text) else { return text }
        var out = text
        for secret in secrets where Self.holds(out, secret) {
            out = out.replacingOccurrences(of: secret.text, with: "***")
        }
        return out
    }

    /// Whether `text` holds an ASCII secret. The text is opened once for all of them, and `memchr` finds each
    /// secret's candidate starts: opened again for each secret, a value cost more than all its other formatting.
    private func holdsASCIISecret(_ text: String) -> Bool {
        var text = text
        return text.withUTF8 { bytes in asciiSecrets.contains { bytes.contains(bytes: $0) } }
    }

    /// Whether `text` holds `secret`. An ASCII secret is looked for byte by byte (`containsBytes`): Foundation's
    /// `contains` converted the text to UTF-16 for every secret, in the message and every value of every line,
    /// 6 % of the daemon's CPU at the info level. ASCII has no other spelling, so the bytes find every occurrence
    /// Foundation finds; a secret with other characters is still looked for as Foundation compares text.
    static func holds(_ text: String, _ secret: (text: String, ascii: [UInt8]?)) -> Bool {
        guard let bytes = secret.ascii else { return text.contains(secret.text) }
        return text.containsBytes(bytes)
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
