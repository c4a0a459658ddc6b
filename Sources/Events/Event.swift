import JSON

/// A decoded platform event: the plaintext envelope and, for an appointment event, the appointment.
public struct Event: Sendable {
    /// The kind of an appointment event, as rules name it in `on:`.
    public static let appointmentCreated = "appointment.created"

    /// The envelope with its plaintext body.
    public let envelope: Envelope
    /// The appointment, when the body holds an `order` object with an `order_num` (whatever the action says).
    public let appointment: Appointment?
    /// `body.user_id`, the operator.
    public let userID: String?
    /// `body.account`, the tenant.
    public let account: String?
    /// `body.order_num`, or the appointment's own `order_num`.
    public let orderNum: String?

    /// `appointment.created` for an appointment event, else `action:<ACTION>`.
    public var kind: String { envelope.kind }

    /// Decodes the body of a plaintext envelope. Unknown event kinds are not errors.
    /// - Throws: `EventError.stillEncrypted` when the body is the encrypted form.
    public static func decode(_ envelope: Envelope, clock: ShopClock) throws(EventError) -> Event {
        guard envelope.encryptedBody == nil else { throw .stillEncrypted }
        guard let body = envelope.body.objectValue else { throw .wrongType(field: "body", expected: "an object") }
        let appointment = body["order"]?.objectValue.flatMap { Appointment(order: $0, clock: clock) }
        return Event(
            envelope: envelope,
            appointment: appointment,
            userID: nonEmpty(body["user_id"]),
            account: nonEmpty(body["account"]),
            orderNum: envelope.orderNum
        )
    }

    /// Reads and decodes a plaintext push in one step.
    public static func decode(_ bytes: [UInt8], clock: ShopClock) throws(EventError) -> Event {
        try decode(Envelope.decode(bytes), clock: clock)
    }

    private static func nonEmpty(_ value: JSONValue?) -> String? {
        guard let text = value?.idText, !text.isEmpty else { return nil }
        return text
    }
}
