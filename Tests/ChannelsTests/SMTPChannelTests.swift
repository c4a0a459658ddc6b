import Channels
import Crypto
import Foundation
import JSON
import TestKit
import Testing

@Suite struct MIMEBuilding {
    let date = Date(timeIntervalSince1970: 1_700_000_000)

    @Test func aUTF8SubjectBecomesEncodedWordsOfAtMost75Characters() throws {
        let subject = "回访提醒：" + String(repeating: "张三的预约", count: 12)
        let message = MIMEMessage(from: "a@example.com", to: ["b@example.com"], subject: subject, text: "x", date: date)

        let headers = Self.headers(message.rendered())
        let encoded = try #require(headers["Subject"])
        let words = encoded.split(separator: " ")

        #expect(words.count > 1)
        #expect(words.allSatisfy { $0.count <= 75 && $0.hasPrefix("=?UTF-8?B?") && $0.hasSuffix("?=") })
        #expect(Self.decodeWords(encoded) == subject)
    }

    @Test func crAndLFInAValueCannotAddAHeader() {
        let message = MIMEMessage(
            from: "a@example.com", to: ["b@example.com"], subject: "hi\r\nBcc: victim@example.com", text: "x",
            date: date)

        let text = String(decoding: message.rendered(), as: UTF8.self)

        #expect(!text.contains("\r\nBcc:"))
        #expect(text.contains("Subject: hi  Bcc: victim@example.com\r\n"))
    }

    @Test func textAndHTMLMakeAMultipartAlternativeWithBase64Parts() throws {
        let message = MIMEMessage(
            from: "a@example.com", to: ["b@example.com", "c@example.com"], subject: "Hello", text: "纯文本",
            html: "<p>网页</p>", date: date, messageID: "m1@example.com")

        let text = String(decoding: message.rendered(), as: UTF8.self)
        let headers = Self.headers(message.rendered())

        #expect(headers["Date"] == "Tue, 14 Nov 2023 22:13:20 +0000")
        #expect(headers["Message-ID"] == "<m1@example.com>")
        #expect(headers["To"] == "b@example.com, c@example.com")
        #expect(headers["MIME-Version"] == "1.0")
        let contentType = try #require(headers["Content-Type"])
        #expect(contentType.hasPrefix("multipart/alternative; boundary="))
        let boundary = String(contentType.split(separator: "\"")[1])
        #expect(text.contains("--\(boundary)\r\nContent-Type: text/plain; charset=UTF-8"))
        #expect(text.contains("--\(boundary)\r\nContent-Type: text/html; charset=UTF-8"))
        #expect(text.hasSuffix("--\(boundary)--\r\n"))
        #expect(text.contains(Bytes.base64(Array("纯文本".utf8))))
        #expect(text.contains(Bytes.base64(Array("<p>网页</p>".utf8))))
        #expect(text.components(separatedBy: "Content-Transfer-Encoding: base64").count == 3)
    }

    /// The top-level headers, continuation lines unfolded with a space.
    static func headers(_ bytes: [UInt8]) -> [String: String] {
        let text = String(decoding: bytes, as: UTF8.self)
        let head = text.components(separatedBy: "\r\n\r\n")[0].replacingOccurrences(of: "\r\n ", with: " ")
        var result: [String: String] = [:]
        for line in head.components(separatedBy: "\r\n") {
            guard let colon = line.firstIndex(of: ":") else { continue }
            result[String(line[..<colon])] = String(line[line.index(after: colon)...]).trimmingCharacters(
                in: .whitespaces)
        }
        return result
    }

    /// Decodes space-separated `=?UTF-8?B?…?=` words.
    static func decodeWords(_ text: String) -> String? {
        var bytes: [UInt8] = []
        for word in text.split(separator: " ") {
            guard word.hasPrefix("=?UTF-8?B?"), word.hasSuffix("?="),
                let decoded = Bytes.fromBase64(String(word.dropFirst(10).dropLast(2)))
            else { return nil }
            bytes += decoded
        }
        return String(bytes: bytes, encoding: .utf8)
    }
}

@Suite struct SMTPDelivery {
    @Test func sendsThroughLibcurlWithLoginToTwoRecipients() async throws {
        let sink = try FakeSMTPServer()
        defer { sink.stop() }
        let mail = try channel([
            "type": "smtp", "url": sink.url, "username": sink.username, "password": sink.password,
            "from": "shop@example.com", "starttls": "optional",
        ])

        let outcome = await send(
            mail,
            ["to": ["crm@example.com", "boss@example.com"], "subject": "回访 张三", "text": "请回访", "html": "<b>请回访</b>"])

        #expect(outcome == .delivered(detail: nil))
        let received = try #require(sink.messages.first)
        #expect(received.mailFrom == "shop@example.com")
        #expect(received.recipients == ["crm@example.com", "boss@example.com"])
        #expect(received.login == sink.username)
        let headers = MIMEBuilding.headers(Array(received.data.utf8))
        #expect(headers["Subject"].flatMap(MIMEBuilding.decodeWords) == "回访 张三")
        #expect(headers["Content-Type"]?.hasPrefix("multipart/alternative") == true)
        #expect(received.data.contains(Bytes.base64(Array("请回访".utf8))))
    }

    @Test func aWrongPasswordFailsAtOnceWithoutShowingIt() async throws {
        let sink = try FakeSMTPServer()
        defer { sink.stop() }
        let mail = try channel([
            "type": "smtp", "url": sink.url, "username": sink.username, "password": "not-the-password",
            "from": "shop@example.com", "starttls": "optional",
        ])

        let outcome = await send(mail, ["to": "crm@example.com", "subject": "s", "text": "t"])

        #expect(isFailed(outcome))
        #expect(outcome.reason?.contains("SMTP 535") == true)
        #expect(outcome.reason?.contains("not-the-password") == false)
        #expect(sink.messages.isEmpty)
    }

    @Test func requiredSTARTTLSRefusesAServerThatDoesNotOfferIt() async throws {
        let sink = try FakeSMTPServer()
        defer { sink.stop() }
        let mail = try channel([
            "type": "smtp", "url": sink.url, "username": sink.username, "password": sink.password,
            "from": "shop@example.com",
        ])

        let outcome = await send(mail, ["to": "crm@example.com", "subject": "s", "text": "t"])

        #expect(!(outcome == .delivered(detail: nil)))
        #expect(sink.messages.isEmpty)
    }

    @Test func aRecipientWithALineBreakIsRefusedBeforeSending() async throws {
        let mail = try channel(["type": "smtp", "url": "smtps://smtp.example.com:465", "from": "shop@example.com"])
        #expect(throws: ChannelError.self) {
            _ = try mail.makeRequest(
                ["to": "a@example.com\r\nRCPT TO:<x@evil.com>", "text": "t"], context: SendContext(jobID: "j"))
        }
    }
}
