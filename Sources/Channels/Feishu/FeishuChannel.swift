import Crypto
import Foundation
import JSON

/// A Feishu (飞书) or Lark custom bot: `text`, or a `post` when the entry has a `title`; signed in the body when
/// a `secret` is set.
public struct FeishuChannel: Channel {
    /// Feishu's hook prefix; the `token` setting is appended when `url` is not set.
    public static let feishuEndpoint = "https://open.feishu.cn/open-apis/bot/v2/hook/"
    /// Lark's hook prefix.
    public static let larkEndpoint = "https://open.larksuite.com/open-apis/bot/v2/hook/"

    /// The channel's name in the config.
    public let name: String
    /// `feishu` or `lark`.
    public let type: String
    /// Rate limit, quiet hours, timeout, maximum age.
    public let options: ChannelOptions
    let url: String
    let secret: String?
    private let redactor: Redactor

    init(name: String, type: String, settings: Settings) throws(ChannelConfigError) {
        self.name = name
        self.type = type
        let token = try settings.string("token")
        let prefix = type == "lark" ? FeishuChannel.larkEndpoint : FeishuChannel.feishuEndpoint
        url = try settings.url(default: token.map { prefix + percentEncode($0) })
        secret = try settings.string("secret")
        options = try ChannelOptions.parse(settings, defaultRateLimit: nil)
        // The hook token is the url's last path segment: a secret too.
        let pathToken = url.split(separator: "?").first?.split(separator: "/").last.map(String.init) ?? ""
        redactor = Redactor(Redactor.secrets(inURL: url) + [token ?? "", secret ?? "", pathToken])
    }

    /// The body's `sign`: base64 of HMAC-SHA256 keyed by `timestamp + "\n" + secret` over an empty message;
    /// `timestamp` is in seconds.
    public static func sign(timestamp: Int64, secret: String) -> String {
        Bytes.base64(HMAC.sha256(key: Array("\(timestamp)\n\(secret)".utf8), message: [UInt8]()))
    }

    /// A `text` message, or a `post` with the title and one paragraph per line of text.
    public func makeRequest(_ payload: JSONValue, context: SendContext) throws(ChannelError) -> OutboundRequest? {
        let entry = Entry(channel: name, payload: payload)
        let text = try entry.required("text")
        var body: [(String, JSONValue)] = []
        if let secret {
            let timestamp = Int64(context.now.timeIntervalSince1970.rounded(.down))
            body.append(("timestamp", .string(String(timestamp))))
            body.append(("sign", .string(FeishuChannel.sign(timestamp: timestamp, secret: secret))))
        }
        if let title = entry.string("title") {
            let lines = text.split(separator: "\n", omittingEmptySubsequences: false).map { line -> JSONValue in
                [jsonObject([("tag", "text"), ("text", .string(String(line)))])]
            }
            let post = jsonObject([("title", .string(title)), ("content", .array(lines))])
            body.append(("msg_type", "post"))
            body.append(("content", jsonObject([("post", jsonObject([("zh_cn", post)]))])))
        } else {
            body.append(("msg_type", "text"))
            body.append(("content", jsonObject([("text", .string(text))])))
        }
        return .json(url: url, body: jsonObject(body), timeout: options.timeout)
    }

    /// Judges `code` (or the older `StatusCode`): 0 delivered, 9499 and 11232 (rate limits) retry, others failed.
    public func classify(_ result: TransportResult) -> DeliveryOutcome {
        Classifier.classify(result, redactor: redactor) { _, body in
            ChatRobot.judge(
                body, codeKey: "code", messageKey: "msg", rateLimitCodes: [9499, 11232],
                alternates: [("StatusCode", "StatusMessage")])
        }
    }
}
