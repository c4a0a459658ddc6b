import Foundation
import JSON

/// Mail through an SMTP relay: `smtps://` (TLS from the start) or `smtp://` with STARTTLS, with login.
/// STARTTLS is required unless the channel sets `starttls: optional`, which sends in the clear to a server that
/// does not offer it (a local relay or a test sink).
public struct SMTPChannel: Channel {
    /// The channel's name in the config.
    public let name: String
    /// `smtp`.
    public var type: String { "smtp" }
    /// Rate limit, quiet hours, timeout, maximum age.
    public let options: ChannelOptions
    let url: String
    let username: String?
    let password: String?
    let from: String
    let fromName: String?
    let requireStartTLS: Bool
    private let redactor: Redactor

    init(name: String, settings: Settings) throws(ChannelConfigError) {
        self.name = name
        url = try settings.url(default: nil, schemes: ["smtp", "smtps"])
        username = try settings.string("username")
        password = try settings.string("password")
        from = try settings.required("from")
        guard SMTPChannel.isAddress(from) else {
            throw .invalidSetting(channel: name, key: "from", reason: "is not a mail address")
        }
        fromName = try settings.string("from_name")
        switch try settings.string("starttls")?.lowercased() ?? "required" {
        case "required": requireStartTLS = true
        case "optional": requireStartTLS = false
        default: throw .invalidSetting(channel: name, key: "starttls", reason: "must be required or optional")
        }
        options = try ChannelOptions.parse(settings, defaultRateLimit: nil)
        redactor = Redactor(Redactor.secrets(inURL: url) + [password ?? ""])
    }

    /// The submission: `to` (one or a list), `subject`, `text` and optional `html`, as a MIME message.
    public func makeRequest(_ payload: JSONValue, context: SendContext) throws(ChannelError) -> OutboundRequest? {
        let entry = Entry(channel: name, payload: payload)
        let recipients = entry.list("to", split: true)
        guard !recipients.isEmpty else { throw .missingField(channel: name, field: "to") }
        if let bad = recipients.first(where: { !SMTPChannel.isAddress($0) }) {
            // The address is customer data, not a secret, but CR/LF in it is shown escaped.
            let shown = bad.replacingOccurrences(of: "\r", with: "\\r").replacingOccurrences(of: "\n", with: "\\n")
            throw .invalidField(channel: name, field: "to", reason: "\"\(shown)\" is not a mail address")
        }
        let html = entry.string("html")
        let text = entry.string("text") ?? ""
        guard !text.isEmpty || html != nil else { throw .missingField(channel: name, field: "text") }
        let message = MIMEMessage(
            from: from, fromName: fromName, to: recipients, subject: entry.string("subject") ?? "", text: text,
            html: html, date: context.now)
        return OutboundRequest(
            method: "SMTP", url: url, body: message.rendered(), timeout: options.timeout, mailFrom: from,
            recipients: recipients, username: username, password: password, requireStartTLS: requireStartTLS)
    }

    /// 2xx SMTP replies delivered; 4xx replies, time-outs and connection errors retry; 5xx replies (a bad login,
    /// an unknown recipient) failed.
    public func classify(_ result: TransportResult) -> DeliveryOutcome {
        let outcome: DeliveryOutcome
        switch result {
        case .failure(let code, let message, let timedOut):
            outcome = Classifier.transportFailure(code: code, message: message, timedOut: timedOut)
        case .response(let status, _, let body):
            let reason = "SMTP \(status)\(Classifier.snippet(body))"
            if status < 400 {
                outcome = .delivered(detail: nil)
            } else if status < 500 {
                outcome = .retry(reason: reason, after: nil)
            } else {
                outcome = .failed(reason: reason)
            }
        }
        return outcome.redacted(by: redactor)
    }

    /// Whether `text` is a plain `local@domain` address with no spaces, brackets or line breaks.
    static func isAddress(_ text: String) -> Bool {
        let parts = text.split(separator: "@", omittingEmptySubsequences: false)
        guard parts.count == 2, !parts[0].isEmpty, parts[1].contains(".") else { return false }
        return !text.unicodeScalars.contains { $0.value <= 0x20 || "<>(),;:\"[]\\".unicodeScalars.contains($0) }
    }
}
