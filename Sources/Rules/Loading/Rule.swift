import Foundation
import JSON

/// One rule as loaded: when it applies and what it sends.
public struct Rule: Sendable {
    /// What to do with a time already past when the event arrives.
    public enum Late: String, Sendable {
        case skip
        case send
    }

    public let name: String
    /// `appointment.created` or `action:<ACTION>`.
    public let on: String
    public let when: Expression?
    public let at: Expression?
    public let late: Late
    /// How late, in seconds, a send may go out after the daemon was down.
    public let grace: Double
    public let notify: [NotificationEntry]
    /// Where the rule was written, `file:line:column`.
    public let location: String
}

/// One `notify:` entry: a channel and its fields, each string a template.
public struct NotificationEntry: Sendable {
    public let channel: String
    public let channelType: String
    /// The fields in written order.
    let fields: [(name: String, value: EntryValue)]
}

/// A field value of an entry: templates inside the YAML shape they were written in.
indirect enum EntryValue: Sendable {
    case template(Template)
    /// A plain YAML scalar in a webhook body that reads as a number, bool or null.
    case constant(JSONValue)
    case list([EntryValue])
    case map([(key: String, value: EntryValue)])
}
