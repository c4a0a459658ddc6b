import Crypto
import Foundation
import JSON

/// A DingTalk (钉钉) group robot: `text`, or `markdown` with a `title`, with `@` mentions; signed when a
/// `secret` is set.
public struct DingTalkChannel: Channel {
    /// The robot's webhook endpoint; the `access_token` setting is appended when `url` is not set.
    public static let endpoint = "https://oapi.dingtalk.com/robot/send"

    /// The channel's name in the config.
    public let name: String
    /// `dingtalk`.
    public var type: String { "dingtalk" }
    /// Rate limit (20/min unless set), quiet hours, timeout, maximum age.
    public let options: ChannelOptions
    let url: String
    let secret: String?
    private let redactor: Redactor

    init(name: String, settings: Settings) throws(ChannelConfigError) {
        self.name = name
        let token = try settings.string("access_token")
        url = try settings.url(default: token.map { "\(DingTalkChannel.endpoint)?access_token=\(percentEncode($0))" })
        secret = try settings.string("secret")
        options = try ChannelOptions.parse(settings, defaultRateLimit: .chatRobot)
        redactor = Redactor(Redactor.secrets(inURL: url) + [token ?? "", secret ?? ""])
    }

    /// The `sign` query value: URL-encoded base64 of HMAC-SHA256 over `timestamp + "\n" + secret`, keyed by the
    /// secret; `timestamp` is in milliseconds.
    public static func sign(timestamp: Int64, secret: String) -> String {
        let mac = HMAC.sha256(key: Array(secret.utf8), message: Array("\(timestamp)\n\(secret)".utf8))
        return percentEncode(Bytes.base64(mac))
    }

    /// A text or markdown message with the `at` block; signed in the url when a secret is set.
    public func makeRequest(_ payload: JSONValue, context: SendContext) throws(ChannelError) -> OutboundRequest? {
        let entry = Entry(channel: name, payload: payload)
        let mentions = entry.list("mention")
        let atAll = mentions.contains { $0 == "@all" || $0.lowercased() == "all" }
        let mobiles = mentions.filter { MobileNumber.looksLikeOne($0) }
        let users = mentions.filter { !MobileNumber.looksLikeOne($0) && $0 != "@all" && $0.lowercased() != "all" }
        var at: [(String, JSONValue)] = []
        if !mobiles.isEmpty { at.append(("atMobiles", .array(mobiles.map { .string($0) }))) }
        if !users.isEmpty { at.append(("atUserIds", .array(users.map { .string($0) }))) }
        at.append(("isAtAll", .bool(atAll)))

        var body: [(String, JSONValue)]
        if var markdown = entry.string("markdown") {
            // DingTalk highlights an @mention in markdown only when the text names the mobile.
            if !mobiles.isEmpty { markdown += "\n\n" + mobiles.map { "@" + $0 }.joined(separator: " ") }
            let title = entry.string("title") ?? DingTalkChannel.title(from: markdown)
            body = [
                ("msgtype", "markdown"),
                ("markdown", jsonObject([("title", .string(title)), ("text", .string(markdown))])),
            ]
        } else {
            body = [("msgtype", "text"), ("text", jsonObject([("content", .string(try entry.required("text")))]))]
        }
        body.append(("at", jsonObject(at)))

        var target = url
        if let secret {
            let timestamp = Int64((context.now.timeIntervalSince1970 * 1000).rounded(.down))
            target = appendingQuery(
                url,
                [
                    ("timestamp", String(timestamp)),
                    ("sign", DingTalkChannel.sign(timestamp: timestamp, secret: secret)),
                ])
        }
        return .json(url: target, body: jsonObject(body), timeout: options.timeout)
    }

    /// Judges the `errcode` of the 200 body: 0 delivered, 130101 (sending too fast) retry, others failed.
    public func classify(_ result: TransportResult) -> DeliveryOutcome {
        Classifier.classify(result, redactor: redactor) { _, body in
            ChatRobot.judge(body, codeKey: "errcode", messageKey: "errmsg", rateLimitCodes: [130101])
        }
    }

    /// The first line of `markdown` without heading marks, for the notification preview.
    static func title(from markdown: String) -> String {
        let first = markdown.split(separator: "\n").first.map(String.init) ?? ""
        let bare = first.drop { $0 == "#" || $0 == " " }
        return String(bare.prefix(30))
    }
}
