import Crypto
import JSON

/// Any HTTP endpoint: the entry's `body` (or the appointment event) as JSON, with the job id in `X-Scrm-Job` and,
/// when a `secret` is set, `X-Scrm-Signature: sha256=<hex HMAC-SHA256 of the body>`.
public struct WebhookChannel: Channel {
    /// The channel's name in the config.
    public let name: String
    /// `webhook`.
    public var type: String { "webhook" }
    /// Rate limit, quiet hours, timeout, maximum age.
    public let options: ChannelOptions
    let url: String
    let method: String
    let headers: [(String, String)]
    let secret: String?
    private let redactor: Redactor

    init(name: String, settings: Settings) throws(ChannelConfigError) {
        self.name = name
        url = try settings.url(default: nil)
        method = (try settings.string("method") ?? "POST").uppercased()
        guard ["POST", "PUT", "PATCH", "GET", "DELETE"].contains(method) else {
            throw .invalidSetting(channel: name, key: "method", reason: "must be POST, PUT, PATCH, GET or DELETE")
        }
        headers = try settings.pairs("headers")
        secret = try settings.string("secret")
        options = try ChannelOptions.parse(settings, defaultRateLimit: nil)
        // Header values often carry tokens (`Authorization: Bearer …`): each value and its last word are secrets.
        let headerSecrets = headers.flatMap { [$0.1, String($0.1.split(separator: " ").last ?? "")] }
        redactor = Redactor(Redactor.secrets(inURL: url) + headerSecrets + [secret ?? ""])
    }

    /// The signature header's value for `body`.
    public static func signature(body: [UInt8], secret: String) -> String {
        "sha256=" + Bytes.hex(HMAC.sha256(key: Array(secret.utf8), message: body))
    }

    /// The request: the entry's `body`, or without one the event's JSON (its stored bytes when the context has
    /// them); a GET carries no body.
    public func makeRequest(_ payload: JSONValue, context: SendContext) throws(ChannelError) -> OutboundRequest? {
        let entryBody = payload["body"]
        guard let tree = entryBody ?? context.event else {
            throw .missingField(channel: name, field: "body")
        }
        let body: [UInt8]
        if method == "GET" {
            body = []
        } else if entryBody == nil, let stored = context.eventBytes {
            body = stored
        } else {
            body = tree.serializedBytes()
        }
        var all: [(String, String)] = []
        if !headers.contains(where: { $0.0.isHeaderName("Content-Type") }) {
            all.append(("Content-Type", "application/json; charset=utf-8"))
        }
        all += headers
        all.append(("X-Scrm-Job", context.jobID))
        if let secret { all.append(("X-Scrm-Signature", WebhookChannel.signature(body: body, secret: secret))) }
        return OutboundRequest(method: method, url: url, headers: all, body: body, timeout: options.timeout)
    }

    /// 2xx delivered; 408, 429 and 5xx retry; other statuses failed.
    public func classify(_ result: TransportResult) -> DeliveryOutcome {
        Classifier.classify(result, redactor: redactor) { status, _ in .ok("HTTP \(status)") }
    }
}
