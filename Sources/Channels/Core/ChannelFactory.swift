import JSON

/// Makes channels from the config's `channels` section.
public enum ChannelFactory {
    /// The channel types this build knows.
    public static let knownTypes = [
        "wecom", "dingtalk", "feishu", "lark", "slack", "webhook", "aliyun-sms", "tencent-sms", "smtp", "console",
    ]

    /// Makes the channel `name` from its settings (`type` among them); `console` is where a console channel
    /// writes (standard output when nil).
    /// - Throws: an error naming the channel and the key for an unknown type or a missing or bad setting.
    public static func make(
        name: String, settings: JSONObject, console: ConsoleWriter?
    ) throws(ChannelConfigError) -> any Channel {
        let reader = Settings(channel: name, values: settings)
        let type = try reader.required("type")
        switch type {
        case "wecom": return try WeComChannel(name: name, settings: reader)
        case "dingtalk": return try DingTalkChannel(name: name, settings: reader)
        case "feishu", "lark": return try FeishuChannel(name: name, type: type, settings: reader)
        case "slack": return try SlackChannel(name: name, settings: reader)
        case "webhook": return try WebhookChannel(name: name, settings: reader)
        case "aliyun-sms": return try AliyunSMSChannel(name: name, settings: reader)
        case "tencent-sms": return try TencentSMSChannel(name: name, settings: reader)
        case "smtp": return try SMTPChannel(name: name, settings: reader)
        case "console":
            let options = try ChannelOptions.parse(reader, defaultRateLimit: nil)
            return ConsoleChannel(name: name, options: options, writer: console ?? .standardOutput)
        default: throw .unknownType(channel: name, type: type)
        }
    }
}
