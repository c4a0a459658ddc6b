import Foundation
import JSON

/// What a send knows beyond the entry's rendered fields.
public struct SendContext: Sendable {
    /// The job id: the idempotency key passed to gateways that take one, and the `X-Scrm-Job` header.
    public var jobID: String
    /// The time of this attempt, used for signatures and the mail's Date header.
    public var now: Date
    /// The appointment event's JSON, which a webhook without a `body` sends.
    public var event: JSONValue?
    /// `event` as it is stored, which a webhook without a `body` sends as it is: serializing `event` again cost
    /// about a twentieth of a push's CPU time.
    public var eventBytes: [UInt8]?

    /// Makes a context.
    public init(jobID: String, now: Date = Date(), event: JSONValue? = nil, eventBytes: [UInt8]? = nil) {
        self.jobID = jobID
        self.now = now
        self.event = event
        self.eventBytes = eventBytes
    }
}

/// A configured destination: it turns a rendered notification entry into its service's wire format and judges
/// the service's answer.
public protocol Channel: Sendable {
    /// The channel's name in the config (`store-group`).
    var name: String { get }
    /// The channel's type (`wecom`, `aliyun-sms`, ...).
    var type: String { get }
    /// Rate limit, quiet hours, timeout and maximum age.
    var options: ChannelOptions { get }

    /// Builds the request for one entry whose strings are already rendered; nil when the channel delivered the
    /// entry itself (console).
    func makeRequest(_ payload: JSONValue, context: SendContext) throws(ChannelError) -> OutboundRequest?

    /// Judges what the transport got back.
    func classify(_ result: TransportResult) -> DeliveryOutcome
}

/// Why a channel could not build a request from an entry; building it again cannot help.
public enum ChannelError: Error, Sendable, Equatable, CustomStringConvertible {
    /// The entry lacks a field the channel needs.
    case missingField(channel: String, field: String)
    /// A field of the entry has an unusable value.
    case invalidField(channel: String, field: String, reason: String)

    /// A short text naming the channel and the field.
    public var description: String {
        switch self {
        case .missingField(let channel, let field):
            "channel \(channel): the notification has no \(field)"
        case .invalidField(let channel, let field, let reason):
            "channel \(channel): invalid \(field): \(reason)"
        }
    }
}
