import Foundation

/// A raw event as received, kept in the inbox so that it can be planned again after a crash.
public struct InboxEvent: Sendable, Equatable {
    /// The platform's event id; the inbox stores each id once.
    public var id: String
    /// When the daemon received it (stored to the millisecond).
    public var receivedAt: Date
    /// The event's type, such as "appointment.created".
    public var kind: String
    /// The appointment (order) it belongs to, when it has one.
    public var orderKey: String?
    /// The decrypted body, opaque to the store.
    public var raw: [UInt8]

    /// Makes an event from its parts.
    public init(id: String, receivedAt: Date, kind: String, orderKey: String?, raw: [UInt8]) {
        self.id = id
        self.receivedAt = receivedAt
        self.kind = kind
        self.orderKey = orderKey
        self.raw = raw
    }
}
