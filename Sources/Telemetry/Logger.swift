/// A logger carrying its context: metadata attached once and added to every line.
///
/// Messages are constant text (`"event accepted"`); the data goes in metadata under dotted keys (`event.id`,
/// `rule`, `channel`, `attempt`).
public struct Logger: Sendable {
    /// The sink lines go to.
    public let sink: LogSink
    /// The context added to every line; metadata given at the call wins over it.
    public let metadata: [String: String]

    /// A logger without context.
    public init(sink: LogSink) {
        self.init(sink: sink, metadata: [:])
    }

    private init(sink: LogSink, metadata: [String: String]) {
        self.sink = sink
        self.metadata = metadata
    }

    /// This logger with `metadata` added to its context.
    public func with(_ metadata: [String: String]) -> Logger {
        // Each send takes a logger of its own from one without context: merging into an empty dictionary
        // built a second one, 0.4 % of the daemon's CPU time under load.
        if self.metadata.isEmpty { return Logger(sink: sink, metadata: metadata) }
        return Logger(sink: sink, metadata: self.metadata.merging(metadata) { _, new in new })
    }

    /// Logs at `level`, merging the call's metadata into the context. The metadata is only built when the
    /// level is logged: a line filtered out costs no dictionary (one per push and per send, on the hot path).
    public func log(_ level: LogLevel, _ message: String, _ metadata: @autoclosure () -> [String: String] = [:]) {
        guard sink.accepts(level) else { return }
        // The sink reads the context and the call's metadata side by side: merging them built a third
        // dictionary for every line of a send.
        sink.log(level, message, context: self.metadata, metadata())
    }

    /// Detail for debugging.
    public func debug(_ message: String, _ metadata: @autoclosure () -> [String: String] = [:]) {
        log(.debug, message, metadata())
    }

    /// Something an operator wants to see.
    public func info(_ message: String, _ metadata: @autoclosure () -> [String: String] = [:]) {
        log(.info, message, metadata())
    }

    /// A failure that will be retried.
    public func warning(_ message: String, _ metadata: @autoclosure () -> [String: String] = [:]) {
        log(.warning, message, metadata())
    }

    /// A failure given up on.
    public func error(_ message: String, _ metadata: @autoclosure () -> [String: String] = [:]) {
        log(.error, message, metadata())
    }
}
