/// Why an encrypted callback could not be verified or opened. The texts never include the token or key.
public enum CallbackError: Error, Sendable, Equatable, CustomStringConvertible {
    /// The signature does not match token, timestamp, nonce and ciphertext.
    case badSignature
    /// The EncodingAESKey is not 43 characters of Base64 giving 32 bytes.
    case badKey
    /// The ciphertext is not valid Base64.
    case badBase64
    /// The ciphertext is empty or not a whole number of AES blocks.
    case badCiphertext
    /// The decrypted padding is not PKCS#7 to a 32-byte block (usually a wrong key).
    case badPadding
    /// The 4-byte message length does not fit in the decrypted plaintext.
    case badLength
    /// The receive id after the message is not the configured one.
    case receiveIDMismatch

    public var description: String {
        switch self {
        case .badSignature: return "callback signature does not match"
        case .badKey: return "callback EncodingAESKey must be 43 Base64 characters"
        case .badBase64: return "callback ciphertext is not valid Base64"
        case .badCiphertext: return "callback ciphertext is not a whole number of AES blocks"
        case .badPadding: return "callback plaintext has invalid padding (wrong key?)"
        case .badLength: return "callback plaintext length field exceeds the data"
        case .receiveIDMismatch: return "callback receive id does not match the configured one"
        }
    }
}
