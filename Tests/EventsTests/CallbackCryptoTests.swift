import Crypto
import Events
import Testing

@Suite struct CallbackCryptoTests {
    static let aesKey = "jWmYm7qr5nMoAUwZRjGtBxmz3KA1tkAj3ykkR6q2B2C"
    static let dustessCiphertext =
        "CZWs4CWRpI4VolQlvn4dlHCxcccOUldh2dM/HUHjz9lmXN+DbNparH5f3mPPDG0EBhuCYhE+vJ5SXkNCcAN7jg=="
    static let wecomEchostr =
        "P9nAzCzyDtyTWESHep1vC5X9xho/qYX3Zpb4yKa9SKld1DsH3Iyt3tP3zNdtp+4RPcs8TgAE7OaBO+FZXvnaqQ=="

    let dustess: CallbackCrypto

    init() throws {
        dustess = try CallbackCrypto(token: "thisisatoken", encodingAESKey: Self.aesKey, receiveID: "P00000000023")
    }

    @Test func theDustessVectorVerifiesAndDecrypts() throws {
        #expect(
            dustess.signature(timestamp: "1592552065", nonce: "EDH75AiKExevY8L3", encrypt: Self.dustessCiphertext)
                == "fe2c1539b7d56e35bec5e302da15bad2f563b854")
        let message = try dustess.open(
            signature: "fe2c1539b7d56e35bec5e302da15bad2f563b854", timestamp: "1592552065",
            nonce: "EDH75AiKExevY8L3", encrypt: Self.dustessCiphertext)
        #expect(String(decoding: message, as: UTF8.self) == #"{"Name":"哈哈"}"#)
    }

    @Test func theWeComEchostrVectorVerifiesAndDecrypts() throws {
        let wecom = try CallbackCrypto(token: "QDG6eK", encodingAESKey: Self.aesKey, receiveID: "wx5823bf96d3bd56c7")
        let message = try wecom.open(
            signature: "5c45ff5e21c57e6ad56bac8758b79b1d9ac89fd3", timestamp: "1409659589", nonce: "263014780",
            encrypt: Self.wecomEchostr)
        #expect(String(decoding: message, as: UTF8.self) == "1616140317555161061")
    }

    @Test func anEmptyReceiveIDSkipsTheCheck() throws {
        let anyCompany = try CallbackCrypto(token: "thisisatoken", encodingAESKey: Self.aesKey, receiveID: "")
        #expect(String(decoding: try anyCompany.decrypt(Self.dustessCiphertext), as: UTF8.self) == #"{"Name":"哈哈"}"#)
    }

    @Test func sealedMessagesOpenAgainForEveryPadLength() throws {
        // Messages of 0...40 bytes cover every pad length from 1 to 32, including a full block of padding.
        for size in 0...40 {
            let message = Array(repeating: UInt8(ascii: "x"), count: size) + Array("末".utf8)
            let body = dustess.seal(message, timestamp: "1661233174000", nonce: "n\(size)")
            #expect(try dustess.open(body) == message)
        }
    }

    @Test func encryptionWithAFixedPrefixIsDeterministicAndMatchesTheVector() throws {
        let prefix = Array(try dustess.decryptRaw(Self.dustessCiphertext)[0..<16])
        #expect(dustess.encrypt(Array(#"{"Name":"哈哈"}"#.utf8), random: prefix) == Self.dustessCiphertext)
    }

    @Test func aWrongSignatureIsRefusedBeforeDecrypting() {
        #expect(throws: CallbackError.badSignature) {
            try dustess.open(
                signature: "fe2c1539b7d56e35bec5e302da15bad2f563b855", timestamp: "1592552065",
                nonce: "EDH75AiKExevY8L3", encrypt: Self.dustessCiphertext)
        }
        #expect(throws: CallbackError.badSignature) {
            try dustess.open(
                signature: "fe2c1539b7d56e35bec5e302da15bad2f563b854", timestamp: "1592552066",
                nonce: "EDH75AiKExevY8L3", encrypt: Self.dustessCiphertext)
        }
    }

    @Test func aWrongKeyFailsOnThePadding() throws {
        let other = try CallbackCrypto(
            token: "thisisatoken", encodingAESKey: String(repeating: "A", count: 43), receiveID: "P00000000023")
        #expect(throws: CallbackError.badPadding) { try other.decrypt(Self.dustessCiphertext) }
    }

    @Test func malformedKeysAreRefusedWithoutEchoingThem() {
        for key in ["short", Self.aesKey + "A", String(Self.aesKey.dropLast()) + "$"] {
            #expect(throws: CallbackError.badKey) {
                try CallbackCrypto(token: "t", encodingAESKey: key, receiveID: "")
            }
        }
        #expect(!CallbackError.badKey.description.contains(Self.aesKey))
    }

    @Test func ciphertextThatIsNotBase64OrNotWholeBlocksIsRefused() {
        #expect(throws: CallbackError.badBase64) { try dustess.decrypt("not base64 at all!") }
        #expect(throws: CallbackError.badCiphertext) { try dustess.decrypt(Bytes.base64(Bytes.random(20))) }
        #expect(throws: CallbackError.badCiphertext) { try dustess.decrypt("") }
    }

    @Test func aBrokenPadIsRefused() throws {
        // Pad bytes that disagree with the last byte, and a last byte beyond the 32-byte block.
        var uneven = Array(repeating: UInt8(7), count: 64)
        uneven[60] = 6
        #expect(throws: CallbackError.badPadding) { try dustess.decrypt(try sealRaw(uneven)) }
        var tooLong = Array(repeating: UInt8(0), count: 64)
        tooLong[63] = 33
        #expect(throws: CallbackError.badPadding) { try dustess.decrypt(try sealRaw(tooLong)) }
        var zero = Array(repeating: UInt8(1), count: 64)
        zero[63] = 0
        #expect(throws: CallbackError.badPadding) { try dustess.decrypt(try sealRaw(zero)) }
    }

    @Test func aLengthFieldBeyondTheDataIsRefused() throws {
        // 16 random bytes, a length of 1000, 4 bytes of message, then a valid pad of 24.
        var plain = Bytes.random(16) + [0, 0, 0x03, 0xE8] + Array("abcd".utf8)
        plain += Array(repeating: UInt8(24), count: 24)
        #expect(throws: CallbackError.badLength) { try dustess.decrypt(try sealRaw(plain)) }
        // Too short to hold the random prefix and the length at all.
        let stub = Bytes.random(16) + Array(repeating: UInt8(16), count: 16)
        #expect(throws: CallbackError.badLength) { try dustess.decrypt(try sealRaw(stub)) }
    }

    @Test func anotherCompanysReceiveIDIsRefused() throws {
        let other = try CallbackCrypto(token: "thisisatoken", encodingAESKey: Self.aesKey, receiveID: "P00000000024")
        #expect(throws: CallbackError.receiveIDMismatch) { try other.decrypt(Self.dustessCiphertext) }
        let prefix = try CallbackCrypto(token: "thisisatoken", encodingAESKey: Self.aesKey, receiveID: "P0000000002")
        #expect(throws: CallbackError.receiveIDMismatch) { try prefix.decrypt(Self.dustessCiphertext) }
    }

    /// Encrypts already padded plaintext with the vectors' key, bypassing the codec's own padding.
    private func sealRaw(_ plain: [UInt8]) throws -> String {
        let key = Bytes.fromBase64(Self.aesKey + "=")!
        return Bytes.base64(try AES256CBC.encrypt(key: key, iv: Array(key[0..<16]), plaintext: plain))
    }
}

extension CallbackCrypto {
    /// The whole decrypted plaintext of a vector, prefix included, to rebuild it byte for byte.
    fileprivate func decryptRaw(_ encrypt: String) throws -> [UInt8] {
        let key = Bytes.fromBase64(CallbackCryptoTests.aesKey + "=")!
        return try AES256CBC.decrypt(key: key, iv: Array(key[0..<16]), ciphertext: Bytes.fromBase64(encrypt)!)
    }
}
