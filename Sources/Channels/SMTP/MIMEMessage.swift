import Crypto
import Foundation

/// A mail message in MIME form: UTF-8 headers encoded per RFC 2047, a base64 text part and an optional HTML
/// alternative. Header values lose any CR or LF, so no value can add a header.
public struct MIMEMessage: Sendable {
    /// The sender's address.
    public var from: String
    /// The sender's display name, if any.
    public var fromName: String?
    /// The recipients' addresses.
    public var to: [String]
    /// The subject, any text.
    public var subject: String
    /// The plain text body.
    public var text: String
    /// The HTML body, sent as an alternative to the text.
    public var html: String?
    /// The Date header's time.
    public var date: Date
    /// The Message-ID, without angle brackets.
    public var messageID: String

    /// Makes a message; the Message-ID defaults to a random one at the sender's domain.
    public init(
        from: String, fromName: String? = nil, to: [String], subject: String, text: String, html: String? = nil,
        date: Date, messageID: String? = nil
    ) {
        self.from = from
        self.fromName = fromName
        self.to = to
        self.subject = subject
        self.text = text
        self.html = html
        self.date = date
        let domain = from.split(separator: "@").last.map(String.init) ?? "localhost"
        self.messageID = messageID ?? "\(Bytes.uuid())@\(domain)"
    }

    /// The message as CRLF-terminated lines ready for `DATA`.
    public func rendered() -> [UInt8] {
        var lines: [String] = []
        let sender = fromName.map { "\(MIMEMessage.encodeWord(MIMEMessage.unfold($0))) <\(from)>" } ?? from
        lines.append("From: " + MIMEMessage.unfold(sender))
        lines.append("To: " + MIMEMessage.unfold(to.joined(separator: ", ")))
        lines.append("Subject: " + MIMEMessage.encodeWord(MIMEMessage.unfold(subject)))
        lines.append("Date: " + MIMEMessage.rfc5322(date))
        lines.append("Message-ID: <\(MIMEMessage.unfold(messageID))>")
        lines.append("MIME-Version: 1.0")
        if let html {
            let boundary = "=_scrm_" + Bytes.hex(Bytes.random(12))
            lines.append("Content-Type: multipart/alternative; boundary=\"\(boundary)\"")
            lines.append("")
            lines.append("--" + boundary)
            lines += MIMEMessage.part(type: "text/plain", body: text)
            lines.append("--" + boundary)
            lines += MIMEMessage.part(type: "text/html", body: html)
            lines.append("--" + boundary + "--")
        } else {
            lines += MIMEMessage.part(type: "text/plain", body: text)
        }
        return Array((lines.joined(separator: "\r\n") + "\r\n").utf8)
    }

    /// A header value without CR or LF (each becomes a space), so it stays one header.
    public static func unfold(_ value: String) -> String {
        String(String.UnicodeScalarView(value.unicodeScalars.map { $0 == "\r" || $0 == "\n" ? " " : $0 }))
    }

    /// `text` as is when it is printable ASCII, else as RFC 2047 B-encoded words of at most 75 characters each,
    /// split between characters and folded onto continuation lines.
    public static func encodeWord(_ text: String) -> String {
        if text.unicodeScalars.allSatisfy({ $0.value >= 0x20 && $0.value < 0x7F }) && text.utf8.count <= 900 {
            return text
        }
        // "=?UTF-8?B?" + "?=" take 12 of the 75 characters; 63 left hold 15 base64 quads, 45 bytes of text.
        let maxBytes = 45
        var words: [String] = []
        var chunk: [UInt8] = []
        for character in text {
            let bytes = Array(character.utf8)
            if !chunk.isEmpty && chunk.count + bytes.count > maxBytes {
                words.append("=?UTF-8?B?\(Bytes.base64(chunk))?=")
                chunk = []
            }
            chunk += bytes.prefix(maxBytes)
        }
        if !chunk.isEmpty || words.isEmpty { words.append("=?UTF-8?B?\(Bytes.base64(chunk))?=") }
        return words.joined(separator: "\r\n ")
    }

    /// `date` in RFC 5322 form, `Tue, 14 Nov 2023 22:13:20 +0000`.
    public static func rfc5322(_ date: Date) -> String {
        let formatter = DateFormatter()
        formatter.locale = Locale(identifier: "en_US_POSIX")
        formatter.timeZone = TimeZone(identifier: "UTC")
        formatter.dateFormat = "EEE, dd MMM yyyy HH:mm:ss '+0000'"
        return formatter.string(from: date)
    }

    private static func part(type: String, body: String) -> [String] {
        let encoded = Bytes.base64(Array(body.utf8))
        var lines = ["Content-Type: \(type); charset=UTF-8", "Content-Transfer-Encoding: base64", ""]
        var index = encoded.startIndex
        while index < encoded.endIndex {
            let end = encoded.index(index, offsetBy: 76, limitedBy: encoded.endIndex) ?? encoded.endIndex
            lines.append(String(encoded[index..<end]))
            index = end
        }
        return lines
    }
}
