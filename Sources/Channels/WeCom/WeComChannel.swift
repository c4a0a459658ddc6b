import JSON

/// A WeCom (企业微信) group robot: `text` with mentions, or `markdown`, posted to the robot's webhook url.
public struct WeComChannel: Channel {
    /// The robot's webhook endpoint; the `key` setting is appended when `url` is not set.
    public static let endpoint = "https://qyapi.weixin.qq.com/cgi-bin/webhook/send"
    /// Text content limit in bytes.
    public static let textLimit = 2048
    /// Markdown content limit in bytes.
    public static let markdownLimit = 4096

    /// The channel's name in the config.
    public let name: String
    /// `wecom`.
    public var type: String { "wecom" }
    /// Rate limit (20/min unless set), quiet hours, timeout, maximum age.
    public let options: ChannelOptions
    /// The webhook url with its key.
    let url: String
    private let redactor: Redactor

    init(name: String, settings: Settings) throws(ChannelConfigError) {
        self.name = name
        let key = try settings.string("key")
        url = try settings.url(default: key.map { "\(WeComChannel.endpoint)?key=\(percentEncode($0))" })
        options = try ChannelOptions.parse(settings, defaultRateLimit: .chatRobot)
        redactor = Redactor(Redactor.secrets(inURL: url) + [key ?? ""])
    }

    /// A `text` message with mentions, or a `markdown` one; content over the limit is cut with a marker.
    public func makeRequest(_ payload: JSONValue, context: SendContext) throws(ChannelError) -> OutboundRequest? {
        let entry = Entry(channel: name, payload: payload)
        let body: JSONValue
        if let markdown = entry.string("markdown") {
            let content = TextLimit.truncate(markdown, maxBytes: WeComChannel.markdownLimit)
            body = jsonObject([("msgtype", "markdown"), ("markdown", jsonObject([("content", .string(content))]))])
        } else {
            let text = TextLimit.truncate(try entry.required("text"), maxBytes: WeComChannel.textLimit)
            let mentions = entry.list("mention")
            var fields: [(String, JSONValue)] = [("content", .string(text))]
            let users = mentions.filter { !MobileNumber.looksLikeOne($0) }
            let mobiles = mentions.filter { MobileNumber.looksLikeOne($0) }
            if !users.isEmpty { fields.append(("mentioned_list", .array(users.map { .string($0) }))) }
            if !mobiles.isEmpty { fields.append(("mentioned_mobile_list", .array(mobiles.map { .string($0) }))) }
            body = jsonObject([("msgtype", "text"), ("text", jsonObject(fields))])
        }
        return .json(url: url, body: body, timeout: options.timeout)
    }

    /// Judges the `errcode` of the 200 body: 0 delivered, 45009 (rate limit) retry, others failed.
    public func classify(_ result: TransportResult) -> DeliveryOutcome {
        Classifier.classify(result, redactor: redactor) { _, body in
            ChatRobot.judge(body, codeKey: "errcode", messageKey: "errmsg", rateLimitCodes: [45009])
        }
    }
}

/// Helpers the chat robots share.
enum ChatRobot {
    /// Judges a robot's `{"errcode": 0, "errmsg": "ok"}` style body.
    static func judge(
        _ body: [UInt8], codeKey: String, messageKey: String, rateLimitCodes: Set<Int>,
        alternates: [(String, String)] = []
    ) -> Classifier.Verdict {
        guard let object = Classifier.object(body) else {
            return .rejected("unexpected answer\(Classifier.snippet(body))")
        }
        let keys = [(codeKey, messageKey)] + alternates
        guard let (key, messageName) = keys.first(where: { object[$0.0] != nil }),
            let code = object[key]?.intValue
        else { return .rejected("answer without \(codeKey)\(Classifier.snippet(body))") }
        let message = object[messageName]?.text ?? ""
        if code == 0 { return .ok(nil) }
        let reason = "\(key) \(code): \(String(message.prefix(160)))"
        if rateLimitCodes.contains(code) { return .rateLimited(reason, after: .seconds(60)) }
        return .rejected(reason)
    }
}

/// Telling phone numbers from user ids.
enum MobileNumber {
    /// Whether `text` looks like a mobile number: an optional `+` and 11 to 15 digits.
    static func looksLikeOne(_ text: String) -> Bool {
        let digits = text.hasPrefix("+") ? text.dropFirst() : Substring(text)
        return (11...15).contains(digits.count) && digits.allSatisfy { $0.isASCII && $0.isNumber }
    }

    /// `text` in E.164: an 11-digit Chinese mobile gains `+86`, `0086` becomes `+86`, others are kept.
    static func e164(_ text: String) -> String {
        let trimmed = text.replacingOccurrences(of: " ", with: "").replacingOccurrences(of: "-", with: "")
        if trimmed.hasPrefix("+") { return trimmed }
        if trimmed.hasPrefix("00") { return "+" + trimmed.dropFirst(2) }
        if trimmed.count == 11 && trimmed.hasPrefix("1") { return "+86" + trimmed }
        return trimmed
    }
}

extension OutboundRequest {
    /// A POST of `body` as JSON to `url`.
    static func json(
        url: String, body: JSONValue, timeout: Duration, headers: [(String, String)] = []
    ) -> OutboundRequest {
        OutboundRequest(
            method: "POST", url: url, headers: [("Content-Type", "application/json; charset=utf-8")] + headers,
            body: body.serializedBytes(), timeout: timeout)
    }
}
