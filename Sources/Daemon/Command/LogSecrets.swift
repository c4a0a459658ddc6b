import Foundation
import JSON

/// The secret values of a config, handed to the log sink so that no line can carry one, whatever its origin.
///
/// Each module already keeps secrets out of what it logs (channels redact their urls and keys); this is the
/// second line of defence, for a reason text or error nobody thought of.
enum LogSecrets {
    /// Setting names whose values are secrets wherever they appear in a channel (`secret`, `access_key_secret`,
    /// `password`, `token`, `key`).
    static let secretNameMarkers = ["secret", "password", "token", "key"]

    /// The callback token and AES key, the admin token, and every channel secret: setting values named like one,
    /// header values, and the query values and user info of urls.
    static func of(_ config: Config) -> [String] {
        var found = [config.callback.token, config.callback.aesKey, config.adminToken ?? ""]
        for spec in config.channels.values {
            for (name, value) in spec.settings {
                collect(name: name.lowercased(), value: value, into: &found)
            }
        }
        return found.filter { !$0.isEmpty }
    }

    private static func collect(name: String, value: JSONValue, into found: inout [String]) {
        switch value {
        case .string(let text):
            if secretNameMarkers.contains(where: { name.contains($0) }) { found.append(text) }
            if text.contains("://") { found += inURL(text) }
        case .object(let members):
            // Header values often carry credentials (`Authorization: Bearer …`).
            for (key, member) in members {
                if name == "headers", let text = member.stringValue {
                    // The whole value, and the credential alone after its scheme (`Bearer`, `Basic`).
                    found.append(text)
                    if let space = text.lastIndex(of: " ") { found.append(String(text[text.index(after: space)...])) }
                }
                collect(name: key.lowercased(), value: member, into: &found)
            }
        case .array(let items):
            for item in items { collect(name: name, value: item, into: &found) }
        default: break
        }
    }

    /// The query values of `url` long enough to be keys, percent-decoded as well, and its user info's password.
    static func inURL(_ url: String) -> [String] {
        var found: [String] = []
        if let question = url.firstIndex(of: "?") {
            let query = url[url.index(after: question)...].split(separator: "#").first ?? ""
            for pair in query.split(separator: "&") {
                guard let equals = pair.firstIndex(of: "=") else { continue }
                let value = String(pair[pair.index(after: equals)...])
                // Short values are settings (`type=json`), not keys; replacing them would garble lines.
                guard value.count >= 8 else { continue }
                found.append(value)
                if let decoded = value.removingPercentEncoding, decoded != value { found.append(decoded) }
            }
        }
        if let scheme = url.range(of: "://") {
            let authority = url[scheme.upperBound...].prefix { $0 != "/" && $0 != "?" }
            if let at = authority.lastIndex(of: "@"), let colon = authority[..<at].firstIndex(of: ":") {
                found.append(String(authority[authority.index(after: colon)..<at]))
            }
        }
        return found
    }
}
