import Foundation
import JSON

/// The classification every channel shares: transport failures, HTTP status, `Retry-After`; a channel adds how
/// its service reports success inside a 2xx body.
enum Classifier {
    /// What a service's 2xx body says.
    enum Verdict {
        /// Accepted, with the service's receipt if any.
        case ok(String?)
        /// The service's rate limit: try again, after `after` when known.
        case rateLimited(String, after: Duration?)
        /// A transient error on the service's side.
        case transient(String)
        /// Refused for good.
        case rejected(String)
    }

    /// Judges `result`: failures and non-2xx statuses by the shared rules, 2xx bodies by `judge`.
    static func classify(
        _ result: TransportResult, redactor: Redactor, now: Date = Date(),
        judge: (_ status: Int, _ body: [UInt8]) -> Verdict
    ) -> DeliveryOutcome {
        let outcome: DeliveryOutcome
        switch result {
        case .failure(let code, let message, let timedOut):
            outcome = transportFailure(code: code, message: message, timedOut: timedOut)
        case .response(let status, let headers, let body):
            let hint = retryAfter(headers, now: now)
            if (200..<300).contains(status) {
                switch judge(status, body) {
                case .ok(let detail): outcome = .delivered(detail: detail)
                case .rateLimited(let reason, let after): outcome = .retry(reason: reason, after: hint ?? after)
                case .transient(let reason): outcome = .retry(reason: reason, after: hint)
                case .rejected(let reason): outcome = .failed(reason: reason)
                }
            } else if status == 429 || status == 408 || status >= 500 {
                outcome = .retry(reason: "HTTP \(status)\(snippet(body))", after: hint)
            } else {
                outcome = .failed(reason: "HTTP \(status)\(snippet(body))")
            }
        }
        return outcome.redacted(by: redactor)
    }

    /// A failure before any answer: a time-out or a connection error is worth retrying; a malformed url or an
    /// unsupported scheme is not.
    static func transportFailure(code: Int, message: String, timedOut: Bool) -> DeliveryOutcome {
        if timedOut { return .retry(reason: "timed out", after: nil) }
        switch code {
        case 1, 3, 43, 48: return .failed(reason: "cannot send: \(message)")
        default: return .retry(reason: "connection failed: \(message)", after: nil)
        }
    }

    /// The `Retry-After` header as a delay from `now`: delta seconds or an HTTP date.
    static func retryAfter(_ headers: [(String, String)], now: Date) -> Duration? {
        guard
            let value = headers.first(where: { $0.0.isHeaderName("Retry-After") })?.1
                .trimmingCharacters(in: .whitespaces)
        else { return nil }
        if let seconds = Int64(value) { return .seconds(max(0, seconds)) }
        guard let date = HTTPDate.parse(value) else { return nil }
        return .milliseconds(max(0, Int64(date.timeIntervalSince(now) * 1000)))
    }

    /// The body's JSON object, if it is one.
    static func object(_ body: [UInt8]) -> JSONValue? {
        guard let value = try? JSONValue.parse(body), value.objectValue != nil else { return nil }
        return value
    }

    /// `": <first 160 characters of body>"`, or "" for an empty body.
    static func snippet(_ body: [UInt8]) -> String {
        let text = String(decoding: body.prefix(400), as: UTF8.self)
            .replacingOccurrences(of: "\r", with: " ").replacingOccurrences(of: "\n", with: " ")
            .trimmingCharacters(in: .whitespaces)
        return text.isEmpty ? "" : ": " + String(text.prefix(160))
    }
}

/// HTTP dates (RFC 9110 IMF-fixdate, and the obsolete RFC 850 and asctime forms).
enum HTTPDate {
    private static let formats = [
        "EEE, dd MMM yyyy HH:mm:ss zzz", "EEEE, dd-MMM-yy HH:mm:ss zzz", "EEE MMM d HH:mm:ss yyyy",
    ]

    /// The date `text` names, or nil.
    static func parse(_ text: String) -> Date? {
        for format in formats {
            let formatter = DateFormatter()
            formatter.locale = Locale(identifier: "en_US_POSIX")
            formatter.timeZone = TimeZone(identifier: "GMT")
            formatter.dateFormat = format
            if let date = formatter.date(from: text) { return date }
        }
        return nil
    }

    /// `date` as an IMF-fixdate (`Sun, 06 Nov 1994 08:49:37 GMT`).
    static func format(_ date: Date) -> String {
        let formatter = DateFormatter()
        formatter.locale = Locale(identifier: "en_US_POSIX")
        formatter.timeZone = TimeZone(identifier: "GMT")
        formatter.dateFormat = "EEE, dd MMM yyyy HH:mm:ss 'GMT'"
        return formatter.string(from: date)
    }
}
