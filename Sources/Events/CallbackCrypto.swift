import Crypto

/// The platform's callback encryption: WeCom's WXBizMsgCrypt scheme in JSON mode (DESIGN §1).
public struct CallbackCrypto: Sendable {
    /// The block size the padding rounds to; twice AES's block, as the official SDKs do.
    static let padBlock = 32

    private let token: String
    private let key: [UInt8]
    /// The company id expected after each message; empty skips the check.
    public let receiveID: String

    /// A codec for one callback configuration.
    /// - Throws: `CallbackError.badKey` when `encodingAESKey` is not 43 Base64 characters.
    public init(token: String, encodingAESKey: String, receiveID: String) throws(CallbackError) {
        guard encodingAESKey.utf8.count == 43, let key = Bytes.fromBase64(encodingAESKey + "="), key.count == 32
        else { throw .badKey }
        self.token = token
        self.key = key
        self.receiveID = receiveID
    }

    /// Lowercase hex SHA-1 of token, timestamp, nonce and ciphertext, sorted bytewise and concatenated.
    public func signature(timestamp: String, nonce: String, encrypt: String) -> String {
        let parts = [token, timestamp, nonce, encrypt].sorted { $0.utf8.lexicographicallyPrecedes($1.utf8) }
        var input: [UInt8] = []
        input.reserveCapacity(parts.reduce(0) { $0 + $1.utf8.count })
        for part in parts { input.append(contentsOf: part.utf8) }
        return Bytes.hex(Digest.sha1(input))
    }

    /// Checks the signature in constant time, then decrypts.
    /// - Throws: `CallbackError.badSignature`, or any error of `decrypt(_:)`.
    public func open(signature: String, timestamp: String, nonce: String, encrypt: String) throws(CallbackError)
        -> [UInt8]
    {
        let expected = self.signature(timestamp: timestamp, nonce: nonce, encrypt: encrypt)
        guard Bytes.constantTimeEqual(Array(expected.utf8), Array(signature.lowercased().utf8)) else {
            throw .badSignature
        }
        return try decrypt(encrypt)
    }

    /// Opens an encrypted envelope body: signature check, then decryption.
    public func open(_ body: EncryptedBody) throws(CallbackError) -> [UInt8] {
        try open(signature: body.msgSignature, timestamp: body.timeStamp, nonce: body.nonce, encrypt: body.encrypt)
    }

    /// Decrypts Base64 ciphertext to the message bytes, without looking at any signature.
    /// - Throws: `CallbackError` saying which layer (Base64, blocks, padding, length, receive id) was wrong.
    public func decrypt(_ encrypt: String) throws(CallbackError) -> [UInt8] {
        guard let sealed = Bytes.fromBase64(encrypt) else { throw .badBase64 }
        guard !sealed.isEmpty, sealed.count % 16 == 0 else { throw .badCiphertext }
        let plain: [UInt8]
        do {
            plain = try AES256CBC.decrypt(key: key, iv: Array(key[0..<16]), ciphertext: sealed)
        } catch {
            throw .badCiphertext
        }

        let pad = Int(plain[plain.count - 1])
        guard (1...Self.padBlock).contains(pad), pad <= plain.count else { throw .badPadding }
        // Every pad byte is checked, not just the last one, so a wrong key is caught here most of the time.
        var padOK = true
        for byte in plain[(plain.count - pad)...] where Int(byte) != pad { padOK = false }
        guard padOK else { throw .badPadding }
        let content = plain[0..<(plain.count - pad)]

        guard content.count >= 20 else { throw .badLength }
        let length = content[16..<20].reduce(0) { ($0 << 8) | Int($1) }
        guard length <= content.count - 20 else { throw .badLength }
        let message = Array(content[20..<(20 + length)])
        let receivedID = content[(20 + length)...]
        if !receiveID.isEmpty, !receivedID.elementsEqual(receiveID.utf8) { throw .receiveIDMismatch }
        return message
    }

    /// Encrypts `message` as the platform does; `random` is the 16-byte prefix (fixed only in tests).
    public func encrypt(_ message: [UInt8], random: [UInt8] = Bytes.random(16)) -> String {
        precondition(random.count == 16, "the random prefix is 16 bytes")
        let length = UInt32(message.count)
        var plain = random
        plain.append(contentsOf: [24, 16, 8, 0].map { UInt8(truncatingIfNeeded: length >> $0) })
        plain.append(contentsOf: message)
        plain.append(contentsOf: receiveID.utf8)
        let pad = Self.padBlock - plain.count % Self.padBlock
        plain.append(contentsOf: repeatElement(UInt8(pad), count: pad))
        do {
            return Bytes.base64(try AES256CBC.encrypt(key: key, iv: Array(key[0..<16]), plaintext: plain))
        } catch {
            // The key is 32 bytes and the input padded to whole blocks, so AES cannot refuse them.
            preconditionFailure("AES refused a checked key and aligned input: \(error)")
        }
    }

    /// Encrypts and signs `message` into the body the platform would push.
    public func seal(_ message: [UInt8], timestamp: String, nonce: String) -> EncryptedBody {
        let encrypted = encrypt(message)
        return EncryptedBody(
            encrypt: encrypted, msgSignature: signature(timestamp: timestamp, nonce: nonce, encrypt: encrypted),
            timeStamp: timestamp, nonce: nonce)
    }
}
