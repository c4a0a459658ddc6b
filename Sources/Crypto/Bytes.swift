import COpenSSL
import Foundation

/// Small byte utilities shared by the callback crypto and the channel signers.
public enum Bytes {
    /// `count` bytes from OpenSSL's cryptographically secure generator.
    public static func random(_ count: Int) -> [UInt8] {
        var out = [UInt8](repeating: 0, count: count)
        let ok = out.withUnsafeMutableBufferPointer { RAND_bytes($0.baseAddress, Int32(count)) }
        precondition(ok == 1, "OpenSSL RAND_bytes failed")
        return out
    }

    /// Whether `a` and `b` are equal, in time that depends only on their lengths.
    public static func constantTimeEqual(_ a: some Collection<UInt8>, _ b: some Collection<UInt8>) -> Bool {
        let left = Array(a)
        let right = Array(b)
        guard left.count == right.count else { return false }
        if left.isEmpty { return true }
        return CRYPTO_memcmp(left, right, left.count) == 0
    }

    /// Lowercase hexadecimal text of `bytes`.
    public static func hex(_ bytes: some Sequence<UInt8>) -> String { hex(Array(bytes)) }

    /// Lowercase hexadecimal of a byte array, written straight into the string's storage.
    public static func hex(_ bytes: [UInt8]) -> String {
        String(unsafeUninitializedCapacity: bytes.count * 2) { out in
            for (index, byte) in bytes.enumerated() {
                out[2 * index] = hexDigit(byte >> 4)
                out[2 * index + 1] = hexDigit(byte & 0x0F)
            }
            return bytes.count * 2
        }
    }

    private static func hexDigit(_ nibble: UInt8) -> UInt8 { nibble < 10 ? 0x30 + nibble : 0x57 + nibble }

    /// Standard Base64 (with padding) of `bytes`.
    public static func base64(_ bytes: some Sequence<UInt8>) -> String {
        Data(bytes).base64EncodedString()
    }

    /// The bytes of standard Base64 text, or nil when the text is not valid Base64.
    public static func fromBase64(_ text: String) -> [UInt8]? {
        Data(base64Encoded: text).map { Array($0) }
    }

    /// A version-4 UUID in lowercase text, from the secure generator.
    public static func uuid() -> String {
        var b = random(16)
        b[6] = (b[6] & 0x0F) | 0x40
        b[8] = (b[8] & 0x3F) | 0x80
        return uuidText(b)
    }

    /// A version-7 UUID (RFC 9562) in lowercase text: the milliseconds of `now` since 1970, then 74 random bits.
    ///
    /// Ids made later sort later, so rows keyed by them are appended to an index instead of landing on a random
    /// page of it (each such page is one more written per commit). The random bits make ids unique, not
    /// secret, so they come from the system generator, all 16 bytes in one `getrandom` call (`arc4random_buf`;
    /// `SystemRandomNumberGenerator` made one for each 8): OpenSSL's took a few microseconds per id, inside the
    /// store's transaction.
    public static func timeOrderedUUID(now: Date = Date()) -> String {
        var random: (UInt64, UInt64) = (0, 0)
        withUnsafeMutableBytes(of: &random) { arc4random_buf($0.baseAddress!, $0.count) }
        let ms = UInt64(max(0, now.timeIntervalSince1970 * 1000))
        let high = ms << 16 | 0x7000 | (random.0 & 0x0FFF)
        let low = (random.1 & 0x3FFF_FFFF_FFFF_FFFF) | 0x8000_0000_0000_0000
        return uuidText(high: high, low: low)
    }

    private static func uuidText(_ b: [UInt8]) -> String {
        let word = { (range: Range<Int>) in range.reduce(UInt64(0)) { $0 << 8 | UInt64(b[$1]) } }
        return uuidText(high: word(0..<8), low: word(8..<16))
    }

    /// The 8-4-4-4-12 text of the UUID whose first eight bytes are `high` and last eight `low`, big-endian.
    private static func uuidText(high: UInt64, low: UInt64) -> String {
        let digits: StaticString = "0123456789abcdef"
        return String(unsafeUninitializedCapacity: 36) { out in
            var at = 0
            for nibble in 0..<32 {
                if nibble == 8 || nibble == 12 || nibble == 16 || nibble == 20 {
                    out[at] = UInt8(ascii: "-")
                    at += 1
                }
                let word = nibble < 16 ? high : low
                out[at] = digits.utf8Start[Int(word >> (60 - 4 * UInt64(nibble % 16)) & 0xF)]
                at += 1
            }
            return at
        }
    }
}
