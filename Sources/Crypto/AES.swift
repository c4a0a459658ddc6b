import COpenSSL

/// Why an AES operation failed.
public enum AESError: Error, Equatable, Sendable, CustomStringConvertible {
    /// The key is not 32 bytes or the IV not 16.
    case badKeyOrIV
    /// The input is not a whole number of 16-byte blocks.
    case notBlockAligned
    /// OpenSSL refused the operation.
    case failed

    public var description: String {
        switch self {
        case .badKeyOrIV: return "AES key must be 32 bytes and IV 16 bytes"
        case .notBlockAligned: return "AES input is not a whole number of blocks"
        case .failed: return "AES operation failed"
        }
    }
}

/// AES-256 in CBC mode with no padding: callers that need padding add and check it themselves.
public enum AES256CBC {
    /// Encrypts block-aligned `plaintext`.
    public static func encrypt(key: [UInt8], iv: [UInt8], plaintext: [UInt8]) throws(AESError) -> [UInt8] {
        try run(key: key, iv: iv, input: plaintext, encrypt: true)
    }

    /// Decrypts block-aligned `ciphertext`.
    public static func decrypt(key: [UInt8], iv: [UInt8], ciphertext: [UInt8]) throws(AESError) -> [UInt8] {
        try run(key: key, iv: iv, input: ciphertext, encrypt: false)
    }

    private static func run(key: [UInt8], iv: [UInt8], input: [UInt8], encrypt: Bool) throws(AESError) -> [UInt8] {
        guard key.count == 32, iv.count == 16 else { throw .badKeyOrIV }
        guard input.count % 16 == 0 else { throw .notBlockAligned }
        guard let context = EVP_CIPHER_CTX_new() else { throw .failed }
        defer { EVP_CIPHER_CTX_free(context) }
        guard EVP_CipherInit_ex(context, EVP_aes_256_cbc(), nil, key, iv, encrypt ? 1 : 0) == 1,
            EVP_CIPHER_CTX_set_padding(context, 0) == 1
        else { throw .failed }
        var out = [UInt8](repeating: 0, count: input.count + 16)
        var written: Int32 = 0
        var tail: Int32 = 0
        let ok = out.withUnsafeMutableBufferPointer { buffer -> Bool in
            guard EVP_CipherUpdate(context, buffer.baseAddress, &written, input, Int32(input.count)) == 1 else {
                return false
            }
            return EVP_CipherFinal_ex(context, buffer.baseAddress! + Int(written), &tail) == 1
        }
        guard ok else { throw .failed }
        return Array(out[0..<Int(written + tail)])
    }
}
