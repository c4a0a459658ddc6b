import COpenSSL

/// One-shot message digests through OpenSSL.
public enum Digest {
    /// SHA-1 of `data` (20 bytes).
    public static func sha1(_ data: some Collection<UInt8>) -> [UInt8] { digest(Array(data), Algorithm.sha1, 20) }

    /// SHA-1 of a byte array, without the generic entry's run-time type lookups.
    public static func sha1(_ data: [UInt8]) -> [UInt8] { digest(data, Algorithm.sha1, 20) }

    /// SHA-256 of `data` (32 bytes).
    public static func sha256(_ data: some Collection<UInt8>) -> [UInt8] {
        digest(Array(data), Algorithm.sha256, 32)
    }

    /// SHA-256 of a byte array, without the generic entry's run-time type lookups.
    public static func sha256(_ data: [UInt8]) -> [UInt8] { digest(data, Algorithm.sha256, 32) }

    private static func digest(_ input: [UInt8], _ md: OpaquePointer?, _ size: Int) -> [UInt8] {
        var out = [UInt8](repeating: 0, count: size)
        var length: UInt32 = 0
        let ok = input.withUnsafeBufferPointer { source in
            out.withUnsafeMutableBufferPointer { target in
                EVP_Digest(source.baseAddress, source.count, target.baseAddress, &length, md, nil)
            }
        }
        precondition(ok == 1 && Int(length) == size, "OpenSSL digest failed")
        return out
    }
}

/// The digest algorithms, fetched from OpenSSL's default provider once. `EVP_sha1()` and its kind name an
/// algorithm that OpenSSL 3 looks up again, under a lock, in every call that uses it: a tenth of a push's
/// signature check went to that lookup.
enum Algorithm {
    // Fetched algorithms are immutable and may be shared by threads; they are never freed.
    nonisolated(unsafe) static let sha1 = fetch("SHA1")
    nonisolated(unsafe) static let sha256 = fetch("SHA256")

    private static func fetch(_ name: String) -> OpaquePointer {
        guard let md = EVP_MD_fetch(nil, name, nil) else { preconditionFailure("OpenSSL has no \(name)") }
        return md
    }
}

/// Keyed message authentication codes through OpenSSL.
public enum HMAC {
    /// HMAC-SHA1 of `message` under `key` (20 bytes).
    public static func sha1(key: some Collection<UInt8>, message: some Collection<UInt8>) -> [UInt8] {
        mac(key, message, Algorithm.sha1)
    }

    /// HMAC-SHA256 of `message` under `key` (32 bytes).
    public static func sha256(key: some Collection<UInt8>, message: some Collection<UInt8>) -> [UInt8] {
        mac(key, message, Algorithm.sha256)
    }

    private static func mac(_ key: some Collection<UInt8>, _ message: some Collection<UInt8>, _ md: OpaquePointer?)
        -> [UInt8]
    {
        let keyBytes = Array(key)
        let input = Array(message)
        var out = [UInt8](repeating: 0, count: Int(EVP_MAX_MD_SIZE))
        var length: UInt32 = 0
        let result = keyBytes.withUnsafeBufferPointer { k in
            input.withUnsafeBufferPointer { m in
                out.withUnsafeMutableBufferPointer { o in
                    COpenSSL.HMAC(md, k.baseAddress, Int32(k.count), m.baseAddress, m.count, o.baseAddress, &length)
                }
            }
        }
        precondition(result != nil, "OpenSSL HMAC failed")
        return Array(out[0..<Int(length)])
    }
}
