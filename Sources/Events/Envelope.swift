import JSON

/// The outer object of a platform push: `{id, event, action, body}`, with `body` plaintext or encrypted.
public struct Envelope: Sendable, Equatable {
    /// The event id, the idempotency key; a numeric id keeps its exact digits.
    public let id: String
    /// The event's main type, e.g. `CRM_CONTACT`.
    public let event: String
    /// The event's sub type, e.g. `MALL_APPOINTMENT_ORDER_CREATE_OPENAPI`.
    public let action: String
    /// The body object as received (plaintext, or the encrypted form).
    public let body: JSONValue

    /// An envelope from its parts; `body` should be an object.
    public init(id: String, event: String, action: String, body: JSONValue) {
        self.id = id
        self.event = event
        self.action = action
        self.body = body
    }

    /// Reads an envelope from JSON bytes, bare or wrapped in an outer `data` object.
    /// - Throws: `EventError` naming the field that is missing or of the wrong type.
    public static func decode(_ bytes: [UInt8]) throws(EventError) -> Envelope {
        let root: JSONValue
        do {
            root = try JSONValue.parse(bytes)
        } catch {
            throw .invalidJSON(error.description)
        }
        guard var object = root.objectValue else { throw .wrongType(field: "envelope", expected: "an object") }
        if object["body"] == nil, let inner = object["data"]?.objectValue { object = inner }

        guard let idValue = object["id"], !idValue.isNull else { throw .missingField("id") }
        guard let id = idValue.idText else { throw .wrongType(field: "id", expected: "a string or a number") }
        guard !id.isEmpty else { throw .missingField("id") }
        let event = try text(of: object["event"], field: "event")
        let action = try text(of: object["action"], field: "action")

        guard let body = object["body"], !body.isNull else { throw .missingField("body") }
        guard body.objectValue != nil else { throw .wrongType(field: "body", expected: "an object") }
        return Envelope(id: id, event: event, action: action, body: body)
    }

    /// The encrypted form of the body, or nil when the body is plaintext (has no `encrypt` member).
    public var encryptedBody: EncryptedBody? {
        guard let encrypt = body["encrypt"]?.stringValue else { return nil }
        return EncryptedBody(
            encrypt: encrypt,
            msgSignature: body["msgSignature"]?.idText ?? "",
            timeStamp: body["timeStamp"]?.idText ?? "",
            nonce: body["nonce"]?.idText ?? ""
        )
    }

    /// The same envelope with another body, e.g. the decrypted one.
    public func withBody(_ body: JSONValue) -> Envelope {
        Envelope(id: id, event: event, action: action, body: body)
    }

    /// The `order_num` of the body's `order` object: present exactly when this is an appointment event.
    public var appointmentOrderNum: String? {
        guard let text = body["order"]?["order_num"]?.idText, !text.isEmpty else { return nil }
        return text
    }

    /// The event's kind as rules name it, read without decoding the appointment (the ingest path needs only
    /// this): `appointment.created` when the body holds an order with an `order_num`, else `action:<ACTION>`.
    public var kind: String { appointmentOrderNum != nil ? Event.appointmentCreated : "action:\(action)" }

    /// The appointment this event concerns: `body.order_num`, else the order's own `order_num`.
    public var orderNum: String? {
        if let text = body["order_num"]?.idText, !text.isEmpty { return text }
        return appointmentOrderNum
    }

    /// The bare envelope as JSON, the form that is stored.
    public var json: JSONValue {
        ["id": .string(id), "event": .string(event), "action": .string(action), "body": body]
    }

    /// The text of an optional string member; absent or null is empty, a number keeps its digits.
    private static func text(of value: JSONValue?, field: String) throws(EventError) -> String {
        guard let value, !value.isNull else { return "" }
        guard let text = value.idText else { throw .wrongType(field: field, expected: "a string") }
        return text
    }
}

/// The encrypted body of a push: `{encrypt, msgSignature, timeStamp, nonce}`.
public struct EncryptedBody: Sendable, Equatable {
    /// Base64 of the AES ciphertext.
    public let encrypt: String
    /// Lowercase hex SHA-1 over token, timestamp, nonce and ciphertext.
    public let msgSignature: String
    /// The timestamp as received (seconds or milliseconds), opaque text for the signature.
    public let timeStamp: String
    /// The random nonce as received.
    public let nonce: String

    /// An encrypted body from its parts.
    public init(encrypt: String, msgSignature: String, timeStamp: String, nonce: String) {
        self.encrypt = encrypt
        self.msgSignature = msgSignature
        self.timeStamp = timeStamp
        self.nonce = nonce
    }

    /// The body as the JSON object the platform sends.
    public var json: JSONValue {
        [
            "encrypt": .string(encrypt), "msgSignature": .string(msgSignature), "timeStamp": .string(timeStamp),
            "nonce": .string(nonce),
        ]
    }
}
