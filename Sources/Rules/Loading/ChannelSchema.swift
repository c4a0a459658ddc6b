/// Which fields a notification entry takes for each channel type.
struct ChannelSchema: Sendable {
    /// The shape a field's YAML must have.
    enum Shape: Sendable {
        /// One template.
        case text
        /// A list of templates.
        case list
        /// One template or a list of them.
        case textOrList
        /// A mapping of name to template.
        case map
        /// Any YAML tree whose strings are templates.
        case tree
    }

    /// Fields of which at least one (or, when exclusive, exactly one) must be given.
    struct Choice: Sendable {
        let fields: [String]
        let exclusive: Bool
    }

    let fields: [String: Shape]
    let choices: [Choice]

    /// The fields by channel type.
    static let byType: [String: ChannelSchema] = [
        "wecom": ChannelSchema(
            fields: ["text": .text, "markdown": .text, "mention": .list],
            choices: [Choice(fields: ["text", "markdown"], exclusive: true)]),
        "dingtalk": ChannelSchema(
            fields: ["text": .text, "markdown": .text, "title": .text, "mention": .list],
            choices: [Choice(fields: ["text", "markdown"], exclusive: true)]),
        "feishu": ChannelSchema(fields: ["text": .text], choices: [Choice(fields: ["text"], exclusive: true)]),
        "slack": ChannelSchema(fields: ["text": .text], choices: [Choice(fields: ["text"], exclusive: true)]),
        "webhook": ChannelSchema(fields: ["body": .tree], choices: []),
        "aliyun-sms": ChannelSchema(
            fields: ["to": .text, "template": .text, "params": .map],
            choices: [Choice(fields: ["to"], exclusive: true), Choice(fields: ["template"], exclusive: true)]),
        "tencent-sms": ChannelSchema(
            fields: ["to": .text, "template": .text, "params": .list],
            choices: [Choice(fields: ["to"], exclusive: true), Choice(fields: ["template"], exclusive: true)]),
        "smtp": ChannelSchema(
            fields: ["to": .textOrList, "subject": .text, "text": .text, "html": .text],
            choices: [
                Choice(fields: ["to"], exclusive: true), Choice(fields: ["subject"], exclusive: true),
                Choice(fields: ["text", "html"], exclusive: false),
            ]),
        "console": ChannelSchema(fields: ["text": .text], choices: [Choice(fields: ["text"], exclusive: true)]),
    ]
}
