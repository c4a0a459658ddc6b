import Foundation

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

    /// Metadata keys whose values are free text from elsewhere (a gateway's answer, an error) that may quote a
    /// phone number; mainland mobile numbers inside them are masked.
    public static let freeTextKeys: Set<String> = ["reason", "error", "problem"]

    /// `metadata` with the values of phone-like keys (`appointment_user_phone`, `mobile`) masked, and mobile
    /// numbers inside free-text values (`reason`, `error`) masked too.
    public static func metadata(_ metadata: [String: String]) -> [String: String] {
        var out = metadata
        for (key, text) in metadata { out[key] = value(text, forKey: key) }
        return out
    }

    /// `value` as `metadata` leaves it under `key`: masked when the key is phone-like, with the mobile numbers in
    /// it masked when the key is a free-text one, else as it is.
    public static func value(_ value: String, forKey key: String) -> String {
        switch kind(ofKey: key) {
        case .phone: return phone(value)
        case .freeText: return mobilesInText(value)
        case .plain: return value
        }
    }

    private enum KeyKind { case phone, freeText, plain }

    /// What a key's values are. Most keys are short ASCII constants (`event.id`, `rule`): their bytes are
    /// compared without case in place, instead of lowercasing each key through the Unicode tables for every value
    /// of every line. A key with other characters is lowercased as before.
    private static func kind(ofKey key: String) -> KeyKind {
        var key = key
        let ascii: KeyKind? = key.withUTF8 { bytes in
            // One pass: a marker is looked for only where a byte could begin one.
            var phone = false
            for (index, byte) in bytes.enumerated() {
                if byte >= 0x80 { return nil }
                // Each marker begins with a letter, which `| 0x20` lowercases.
                if phone || phoneMarkerStarts >> ((byte | 0x20) & 0x3F) & 1 == 0 { continue }
                phone = phoneMarkerBytes.contains { $0[0] == byte | 0x20 && matches(bytes, at: index, lowercase: $0) }
            }
            if phone { return .phone }
            for name in freeTextKeyBytes where bytes.count == name.count && matches(bytes, at: 0, lowercase: name) {
                return .freeText
            }
            return .plain
        }
        if let ascii { return ascii }
        let lower = key.lowercased()
        if phoneMarkerBytes.contains(where: { lower.containsBytes($0) }) { return .phone }
        return freeTextKeys.contains(lower) ? .freeText : .plain
    }

    // The markers as bytes, made once: walking each `String`'s UTF-8 view again for every key cost more than the
    // comparisons.
    private static let phoneMarkerBytes = phoneKeyMarkers.map { Array($0.utf8) }
    private static let freeTextKeyBytes = freeTextKeys.map { Array($0.utf8) }
    /// The markers' first bytes, by their low six bits: a key's byte is compared with the markers only when its
    /// bit is set.
    private static let phoneMarkerStarts = phoneMarkerBytes.reduce(UInt64(0)) { $0 | 1 << ($1[0] & 0x3F) }

    /// Whether ASCII `bytes` hold the lowercase ASCII `part` at `start`, letters compared without case.
    private static func matches(_ bytes: UnsafeBufferPointer<UInt8>, at start: Int, lowercase part: [UInt8]) -> Bool {
        guard bytes.count - start >= part.count else { return false }
        for (offset, expected) in part.enumerated() {
            let byte = bytes[start + offset]
            let lower = byte >= UInt8(ascii: "A") && byte <= UInt8(ascii: "Z") ? byte | 0x20 : byte
            if lower != expected { return false }
        }
        return true
    }

    /// `text` with every run of exactly 11 ASCII digits that starts with 1 (a mainland mobile number, as an SMS
    /// gateway quotes it), bare or after `86`/`0086`, masked like `phone`; other digit runs (order numbers,
    /// times) stay.
    public static func mobilesInText(_ text: String) -> String {
        guard text.utf8.count >= 11 else { return text }
        var out = ""
        var digits = ""
        func flush() {
            // With the country code written as digits (86…, 0086…), the national number follows it.
            let country = digits.hasPrefix("0086") ? 4 : digits.hasPrefix("86") ? 2 : 0
            let national = String(digits.dropFirst(digits.count == 11 ? 0 : country))
            if national.count == 11, national.hasPrefix("1") {
                out += digits.dropLast(11) + mask(national)
            } else {
                out += digits
            }
            digits = ""
        }
        for character in text {
            if character.isASCIIDigit {
                digits.append(character)
            } else {
                flush()
                out.append(character)
            }
        }
        flush()
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

extension String {
    /// Whether this text's UTF-8 holds `part`; for the bytes of an ASCII text, whether this text contains it.
    /// Foundation's `contains` converts both to UTF-16 first, on every call.
    func containsBytes(_ part: [UInt8]) -> Bool {
        var text = self
        return text.withUTF8 { $0.contains(bytes: part) }
    }
}

extension UnsafeBufferPointer<UInt8> {
    /// Whether these bytes hold `part`. Each candidate start is found by `memchr`, then compared whole.
    func contains(bytes part: [UInt8]) -> Bool {
        guard let first = part.first else { return true }
        guard count >= part.count, let base = baseAddress else { return false }
        let last = base + (count - part.count)
        var at = base
        while at <= last {
            guard let found = memchr(at, Int32(first), last - at + 1) else { return false }
            let candidate = UnsafePointer(found.assumingMemoryBound(to: UInt8.self))
            if memcmp(candidate, part, part.count) == 0 { return true }
            at = candidate + 1
        }
        return false
    }
}
