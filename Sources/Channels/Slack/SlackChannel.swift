import JSON

/// A Slack incoming webhook: `{"text": …}`.
public struct SlackChannel: Channel {
    /// The channel's name in the config.
    public let name: String
    /// `slack`.
    public var type: String { "slack" }
    /// Rate limit, quiet hours, timeout, maximum age.
    public let options: ChannelOptions
    let url: String
    private let redactor: Redactor

    init(name: String, settings: Settings) throws(ChannelConfigError) {
        self.name = name
        url = try settings.url(default: nil)
        options = try ChannelOptions.parse(settings, defaultRateLimit: nil)
        // A webhook url is `/services/T…/B…/secret`: every path segment after `services` is part of the key.
        let path = Redactor.describe(url).split(separator: "/").dropFirst(2)
        let keyParts = path.drop { $0 != "services" }.dropFirst().map(String.init)
        redactor = Redactor(Redactor.secrets(inURL: url) + keyParts)
    }

    /// A message with the entry's `text`.
    public func makeRequest(_ payload: JSONValue, context: SendContext) throws(ChannelError) -> OutboundRequest? {
        let text = try Entry(channel: name, payload: payload).required("text")
        return .json(url: url, body: jsonObject([("text", .string(text))]), timeout: options.timeout)
    }

    /// 2xx delivered (Slack answers `ok`); 429 and 5xx retry; other statuses (`invalid_token`, ...) failed.
    public func classify(_ result: TransportResult) -> DeliveryOutcome {
        Classifier.classify(result, redactor: redactor) { _, _ in .ok(nil) }
    }
}
