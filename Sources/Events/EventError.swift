/// Why a pushed event could not be read: the field it concerns and what was wrong with it.
public enum EventError: Error, Sendable, Equatable, CustomStringConvertible {
    /// The bytes are not JSON; carries the parser's message with its byte offset.
    case invalidJSON(String)
    /// A required field is absent, null or empty (`id`, `body`, ...).
    case missingField(String)
    /// A field has a type that cannot be used, e.g. a `body` that is not an object.
    case wrongType(field: String, expected: String)
    /// The body is still encrypted: it must be opened with `CallbackCrypto` before decoding the event.
    case stillEncrypted

    public var description: String {
        switch self {
        case .invalidJSON(let message): return "event is not valid JSON: \(message)"
        case .missingField(let field): return "event field `\(field)` is missing or empty"
        case .wrongType(let field, let expected): return "event field `\(field)` must be \(expected)"
        case .stillEncrypted: return "event body is encrypted and was not decrypted"
        }
    }
}
