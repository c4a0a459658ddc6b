/// Masks personal data before it reaches a log line.
public enum Redact {
    /// Metadata keys whose values are phone numbers and are masked by every log sink.
    public static let phoneKeyMarkers = ["phone", "mobile"]

    /// A phone number with its middle hidden: `13812341234` → `138****1234`, `+8613812341234` →
    /// `+86138****1234`. Other text keeps at most its first 3 and last 4 characters, fewer when it is short.
    /// A number the platform already masked (`_hidden_5bc2c26b_`) is returned as it is.
    public static func phone(_ text: String) -> String {
        if text.hasPrefix("_hidden_"), text.hasSuffix("_") { return text }
        for prefix in ["+86", "0086"] where text.hasPrefix(prefix) {
            let national = text.dropFirst(prefix.count)
            if national.count == 11, national.allSatisfy(\.isASCIIDigit) { return prefix + mask(String(national)) }
        }
        return mask(text)
    }

    /// `metadata` with the values of phone-like keys (`appointment_user_phone`, `mobile`) masked.
    public static func metadata(_ metadata: [String: String]) -> [String: String] {
        var out = metadata
        for (key, value) in metadata {
            let lower = key.lowercased()
            if phoneKeyMarkers.contains(where: { lower.contains($0) }) { out[key] = phone(value) }
        }
        return out
    }

    /// Keeps the first 3 and last 4 characters of 11 or more, proportionally fewer of shorter text.
    private static func mask(_ text: String) -> String {
        let characters = Array(text)
        let count = characters.count
        let head = count >= 11 ? 3 : count / 4
        let tail = count >= 11 ? 4 : count / 3
        return String(characters[0..<head]) + String(repeating: "*", count: count - head - tail)
            + String(characters[(count - tail)...])
    }
}

extension Character {
    fileprivate var isASCIIDigit: Bool { isASCII && isNumber }
}
