import Foundation
import JSON

/// Where the console channel writes its lines.
public struct ConsoleWriter: Sendable {
    private let sink: @Sendable (String) -> Void

    /// Makes a writer that hands each line (without newline) to `sink`.
    public init(_ sink: @escaping @Sendable (String) -> Void) { self.sink = sink }

    /// Writes one line.
    public func write(line: String) { sink(line) }

    /// Writes to standard output.
    public static let standardOutput = ConsoleWriter { line in
        FileHandle.standardOutput.write(Data((line + "\n").utf8))
    }
}

/// Prints the rendered notification as one line: the channel that exists without accounts.
public struct ConsoleChannel: Channel {
    /// The channel's name in the config (`console` unless configured otherwise).
    public let name: String
    /// `console`.
    public var type: String { "console" }
    /// Quiet hours, rate limit, timeout, maximum age (rarely set here).
    public let options: ChannelOptions
    let writer: ConsoleWriter

    /// Makes a console channel writing to `writer`.
    public init(name: String = "console", options: ChannelOptions = ChannelOptions(), writer: ConsoleWriter) {
        self.name = name
        self.options = options
        self.writer = writer
    }

    /// Writes `[name] text` (or markdown, or the subject, or the entry's JSON) with line breaks shown as `\n`;
    /// returns nil as nothing is left to send.
    public func makeRequest(_ payload: JSONValue, context: SendContext) throws(ChannelError) -> OutboundRequest? {
        let entry = Entry(channel: name, payload: payload)
        let text = entry.string("text") ?? entry.string("markdown") ?? entry.string("subject") ?? payload.serialized()
        let line = text.replacingOccurrences(of: "\r\n", with: "\n").replacingOccurrences(of: "\r", with: "\n")
            .replacingOccurrences(of: "\n", with: "\\n")
        writer.write(line: "[\(name)] \(line)")
        return nil
    }

    /// Delivered: nothing goes over the network.
    public func classify(_ result: TransportResult) -> DeliveryOutcome { .delivered(detail: nil) }
}
