import Crypto

/// Aliyun's RPC signature, version 1.0: HMAC-SHA1 over `METHOD&%2F&<encoded canonical query>`, keyed by
/// `secret + "&"`.
public enum AliyunSigner {
    /// The canonical query: parameters sorted by name, names and values RFC 3986-encoded, joined with `&`.
    public static func canonicalQuery(_ parameters: [(String, String)]) -> String {
        parameters.map { (percentEncode($0.0), percentEncode($0.1)) }
            .sorted { $0.0 < $1.0 }
            .map { "\($0.0)=\($0.1)" }
            .joined(separator: "&")
    }

    /// The base64 signature of `parameters` (without `Signature`) for `method`.
    public static func signature(parameters: [(String, String)], secret: String, method: String = "GET") -> String {
        let stringToSign = "\(method)&\(percentEncode("/"))&\(percentEncode(canonicalQuery(parameters)))"
        return Bytes.base64(HMAC.sha1(key: Array("\(secret)&".utf8), message: Array(stringToSign.utf8)))
    }
}
