import JSON

/// One HTTP request as the server hands it to a handler: the whole body has been read.
public struct HTTPRequest: Sendable {
    public var method: String
    /// The path without the query string.
    public var path: String
    /// Query arguments, URL-decoded; the first value of a repeated name wins.
    public var query: [String: String]
    /// Header values by lowercase name.
    public var headers: [String: String]
    public var body: [UInt8]
    /// The peer's IP address as text (`127.0.0.1`, `::1`), or "" when unknown.
    public var clientAddress: String

    public init(
        method: String, path: String, query: [String: String] = [:], headers: [String: String] = [:],
        body: [UInt8] = [], clientAddress: String = ""
    ) {
        self.method = method
        self.path = path
        self.query = query
        self.headers = headers
        self.body = body
        self.clientAddress = clientAddress
    }

    /// Whether the request came over the loopback interface.
    public var isFromLoopback: Bool {
        clientAddress == "::1" || clientAddress.hasPrefix("127.") || clientAddress.hasPrefix("::ffff:127.")
    }

    /// The first query value among `names`, compared without regard to case.
    public func queryValue(anyOf names: [String]) -> String? {
        for (key, value) in query where names.contains(where: { $0.caseInsensitiveCompare(key) == .orderedSame }) {
            return value
        }
        return nil
    }
}

/// The answer to an HTTP request.
public struct HTTPResponse: Sendable {
    public var status: Int
    public var headers: [(String, String)]
    public var body: [UInt8]

    public init(status: Int, headers: [(String, String)] = [], body: [UInt8] = []) {
        self.status = status
        self.headers = headers
        self.body = body
    }

    /// A JSON answer.
    public static func json(_ status: Int, _ value: JSONValue) -> HTTPResponse {
        HTTPResponse(
            status: status, headers: [("Content-Type", "application/json; charset=utf-8")],
            body: value.serializedBytes())
    }

    /// A plain-text answer.
    public static func text(_ status: Int, _ text: String, contentType: String = "text/plain; charset=utf-8")
        -> HTTPResponse
    {
        HTTPResponse(status: status, headers: [("Content-Type", contentType)], body: Array(text.utf8))
    }

    /// The platform's answer shape: `{"code":1,"msg":"成功"}` for success, `{"code":0,"msg":…}` otherwise.
    public static func platform(_ status: Int, ok: Bool, message: String) -> HTTPResponse {
        json(status, ["code": ok ? 1 : 0, "msg": .string(message)])
    }
}

/// What a handler gives back: the answer now, or a way to answer later from another thread.
public enum HTTPReply: Sendable {
    /// Sent at once.
    case now(HTTPResponse)
    /// The server parks the connection, which then holds no thread, and calls `start` with the function that
    /// answers it. That function must be called exactly once, from any thread.
    case later(_ start: @Sendable (_ answer: @escaping @Sendable (HTTPResponse) -> Void) -> Void)
}
