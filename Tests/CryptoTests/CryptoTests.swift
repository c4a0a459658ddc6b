import Crypto
import Foundation
import Testing

@Suite struct Digests {
    @Test func hexWritesEveryByteAsTwoLowercaseDigits() {
        let all = (0...255).map { UInt8($0) }
        let expected = all.map { ($0 < 16 ? "0" : "") + String($0, radix: 16) }.joined()
        #expect(Bytes.hex(all) == expected)
        #expect(Bytes.hex(all.lazy.map { $0 }) == expected)
        #expect(Bytes.hex([]).isEmpty)
    }

    @Test func sha1MatchesTheStandardVector() {
        #expect(Bytes.hex(Digest.sha1(Array("abc".utf8))) == "a9993e364706816aba3e25717850c26c9cd0d89d")
    }

    @Test func sha256MatchesTheStandardVector() {
        #expect(
            Bytes.hex(Digest.sha256(Array("abc".utf8)))
                == "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad")
    }

    @Test func hmacMatchesRFC4231AndRFC2202() {
        let key = Array("Jefe".utf8)
        let message = Array("what do ya want for nothing?".utf8)
        #expect(
            Bytes.hex(HMAC.sha256(key: key, message: message))
                == "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843")
        #expect(Bytes.hex(HMAC.sha1(key: key, message: message)) == "effcdf6ae5eb2fa2d27416d5f184df9c259a7c79")
    }
}

@Suite struct AESInCBCMode {
    @Test func roundTripsBlockAlignedData() throws {
        let key = Bytes.random(32)
        let iv = Array(key[0..<16])
        let plain = Array("0123456789abcdef0123456789abcdef".utf8)
        let sealed = try AES256CBC.encrypt(key: key, iv: iv, plaintext: plain)
        #expect(sealed != plain)
        #expect(try AES256CBC.decrypt(key: key, iv: iv, ciphertext: sealed) == plain)
    }

    @Test func refusesUnalignedInputAndBadKeys() {
        #expect(throws: AESError.notBlockAligned) {
            try AES256CBC.decrypt(key: Bytes.random(32), iv: Bytes.random(16), ciphertext: [1, 2, 3])
        }
        #expect(throws: AESError.badKeyOrIV) {
            try AES256CBC.encrypt(key: Bytes.random(16), iv: Bytes.random(16), plaintext: [])
        }
    }
}

@Suite struct ByteHelpers {
    @Test func comparesInConstantTimeButCorrectly() {
        #expect(Bytes.constantTimeEqual([1, 2, 3], [1, 2, 3]))
        #expect(!Bytes.constantTimeEqual([1, 2, 3], [1, 2, 4]))
        #expect(!Bytes.constantTimeEqual([1, 2], [1, 2, 3]))
    }

    @Test func base64RoundTripsAndRejectsGarbage() {
        #expect(Bytes.base64(Array("hi".utf8)) == "aGk=")
        #expect(Bytes.fromBase64("aGk=") == Array("hi".utf8))
        #expect(Bytes.fromBase64("!!!") == nil)
    }

    @Test func uuidsAreVersionFour() {
        let id = Bytes.uuid()
        #expect(id.count == 36)
        #expect(Array(id)[14] == "4")
    }

    @Test func bothKindsOfUUIDAreWrittenInTheCanonicalLowercaseForm() {
        for id in [Bytes.uuid(), Bytes.timeOrderedUUID()] {
            #expect(UUID(uuidString: id)?.uuidString.lowercased() == id, "\(id)")
            #expect(id.allSatisfy { "0123456789abcdef-".contains($0) }, "\(id)")
        }
    }

    @Test func timeOrderedUUIDsCarryTheirMillisecondAndSortByIt() {
        let at = Date(timeIntervalSince1970: 1_764_720_000.123)
        let id = Bytes.timeOrderedUUID(now: at)
        #expect(id.count == 36)
        #expect(Array(id)[14] == "7")
        #expect("89ab".contains(Array(id)[19]))
        #expect(id.hasPrefix("019ae182-3c7b-"), "\(id)")
        let later = Bytes.timeOrderedUUID(now: at + 0.002)
        #expect(id < later)
        #expect(Bytes.timeOrderedUUID(now: at) != id)
    }
}
