import Crypto
import Foundation

/// Tencent Cloud API signature v3 (TC3-HMAC-SHA256) for a POST with a JSON body, signing `content-type` and
/// `host`.
public struct TC3Signer: Sendable {
    /// The SecretId.
    public var secretID: String
    /// The SecretKey.
    public var secretKey: String
    /// The service (`sms`, `cvm`), the first label of the API host.
    public var service: String

    /// Makes a signer.
    public init(secretID: String, secretKey: String, service: String) {
        self.secretID = secretID
        self.secretKey = secretKey
        self.service = service
    }

    /// The hex signature of a POST to `/` on `host` with `payload`, at `timestamp` (seconds, UTC date).
    public func signature(host: String, contentType: String, payload: [UInt8], timestamp: Int64) -> String {
        let date = TC3Signer.date(timestamp)
        let canonical = [
            "POST", "/", "", "content-type:\(contentType)", "host:\(host)", "", "content-type;host",
            Bytes.hex(Digest.sha256(payload)),
        ].joined(separator: "\n")
        let scope = "\(date)/\(service)/tc3_request"
        let stringToSign = "TC3-HMAC-SHA256\n\(timestamp)\n\(scope)\n" + Bytes.hex(Digest.sha256(Array(canonical.utf8)))
        let secretDate = HMAC.sha256(key: Array("TC3\(secretKey)".utf8), message: Array(date.utf8))
        let secretService = HMAC.sha256(key: secretDate, message: Array(service.utf8))
        let secretSigning = HMAC.sha256(key: secretService, message: Array("tc3_request".utf8))
        return Bytes.hex(HMAC.sha256(key: secretSigning, message: Array(stringToSign.utf8)))
    }

    /// The `Authorization` header value for the same request.
    public func authorization(host: String, contentType: String, payload: [UInt8], timestamp: Int64) -> String {
        let signature = signature(host: host, contentType: contentType, payload: payload, timestamp: timestamp)
        let scope = "\(TC3Signer.date(timestamp))/\(service)/tc3_request"
        return
            "TC3-HMAC-SHA256 Credential=\(secretID)/\(scope), SignedHeaders=content-type;host, Signature=\(signature)"
    }

    /// The UTC date (`yyyy-MM-dd`) of `timestamp`.
    static func date(_ timestamp: Int64) -> String {
        let formatter = DateFormatter()
        formatter.locale = Locale(identifier: "en_US_POSIX")
        formatter.timeZone = TimeZone(identifier: "UTC")
        formatter.dateFormat = "yyyy-MM-dd"
        return formatter.string(from: Date(timeIntervalSince1970: TimeInterval(timestamp)))
    }
}
