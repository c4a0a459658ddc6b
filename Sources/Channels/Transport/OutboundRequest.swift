/// One outbound call a channel asks the transport to make: an HTTP request, or an SMTP submission when the url's
/// scheme is `smtp` or `smtps`.
public struct OutboundRequest: Sendable {
    /// The HTTP method (`GET`, `POST`, ...); ignored for SMTP.
    public var method: String
    /// The full url, including any query string; it may hold a key, so it is never logged as is.
    public var url: String
    /// Request headers in order; values are sent as given after CR and LF are removed.
    public var headers: [(String, String)]
    /// The request body, or the whole MIME message for SMTP.
    public var body: [UInt8]
    /// How long the whole transfer may take before it is abandoned as timed out.
    public var timeout: Duration
    /// The SMTP envelope sender (`MAIL FROM`); nil for HTTP.
    public var mailFrom: String?
    /// The SMTP envelope recipients (`RCPT TO`); empty for HTTP.
    public var recipients: [String]
    /// The login for SMTP (or HTTP basic authentication), if any.
    public var username: String?
    /// The password that goes with `username`.
    public var password: String?
    /// For `smtp://`: whether STARTTLS is required (true) or used only when the server offers it (false).
    public var requireStartTLS: Bool

    /// Makes a request; SMTP fields default to empty.
    public init(
        method: String = "POST", url: String, headers: [(String, String)] = [], body: [UInt8] = [],
        timeout: Duration = .seconds(10), mailFrom: String? = nil, recipients: [String] = [],
        username: String? = nil, password: String? = nil, requireStartTLS: Bool = true
    ) {
        self.method = method
        self.url = url
        self.headers = headers
        self.body = body
        self.timeout = timeout
        self.mailFrom = mailFrom
        self.recipients = recipients
        self.username = username
        self.password = password
        self.requireStartTLS = requireStartTLS
    }

    /// Whether this request is an SMTP submission rather than an HTTP call.
    public var isSMTP: Bool {
        let lower = url.lowercased()
        return lower.hasPrefix("smtp://") || lower.hasPrefix("smtps://")
    }

    /// The value of the first header named `name` (case-insensitive), if any.
    public func header(_ name: String) -> String? {
        headers.first { $0.0.isHeaderName(name) }?.1
    }
}

extension String {
    /// Whether this header name is `name`, ignoring ASCII case as HTTP does. Compared byte by byte: Foundation's
    /// `caseInsensitiveCompare` went through NSString for every header of every answer, 4 % of a delivery
    /// thread's time under load.
    func isHeaderName(_ name: String) -> Bool {
        guard utf8.count == name.utf8.count else { return false }
        return zip(utf8, name.utf8).allSatisfy { Self.asciiLower($0) == Self.asciiLower($1) }
    }

    private static func asciiLower(_ byte: UInt8) -> UInt8 {
        byte >= UInt8(ascii: "A") && byte <= UInt8(ascii: "Z") ? byte | 0x20 : byte
    }
}

/// What came back from a transfer: a response (any status, with its body), or a failure before one arrived.
public enum TransportResult: Sendable {
    /// The server answered. For SMTP, `status` is the last SMTP reply code and the body holds curl's message.
    case response(status: Int, headers: [(String, String)], body: [UInt8])
    /// No answer: `code` is libcurl's error code, `message` its text, `timedOut` true when the time limit hit.
    case failure(code: Int, message: String, timedOut: Bool)
}
