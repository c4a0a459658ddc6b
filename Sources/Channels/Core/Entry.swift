import JSON

/// A rendered notification entry as a channel reads it, with errors that name the channel and the field.
struct Entry {
    /// The channel's name, for errors.
    let channel: String
    /// The entry's fields.
    let payload: JSONValue

    /// The text of `field`, or nil when absent, null or empty.
    func string(_ field: String) -> String? {
        guard let value = payload[field], !value.isNull else { return nil }
        let text = value.stringValue ?? value.text
        return text.isEmpty ? nil : text
    }

    /// The text of `field`, which must be present.
    func required(_ field: String) throws(ChannelError) -> String {
        guard let text = string(field) else { throw .missingField(channel: channel, field: field) }
        return text
    }

    /// The strings of `field`: a list, or one value (which may hold several separated by commas when `split`).
    func list(_ field: String, split: Bool = false) -> [String] {
        guard let value = payload[field], !value.isNull else { return [] }
        let items = value.arrayValue?.map { $0.stringValue ?? $0.text } ?? [value.stringValue ?? value.text]
        let parts = split ? items.flatMap { $0.split(separator: ",").map(String.init) } : items
        return parts.map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty }
    }
}

/// Text limits of services that count bytes.
enum TextLimit {
    /// The marker appended to text that was cut.
    static let marker = "…(truncated)"

    /// `text` cut to at most `maxBytes` UTF-8 bytes, at a character boundary, with `marker` at the end when cut.
    static func truncate(_ text: String, maxBytes: Int, marker: String = marker) -> String {
        guard text.utf8.count > maxBytes else { return text }
        let budget = maxBytes - marker.utf8.count
        var used = 0
        var kept = ""
        for character in text {
            let size = character.utf8.count
            if used + size > budget { break }
            used += size
            kept.append(character)
        }
        return kept + marker
    }
}

/// Builds JSON object values in order.
func jsonObject(_ pairs: [(String, JSONValue)]) -> JSONValue {
    var object = JSONObject()
    for (key, value) in pairs { object[key] = value }
    return .object(object)
}

/// Percent-encodes per RFC 3986: everything but `A-Z a-z 0-9 - _ . ~`, upper-case hex.
func percentEncode(_ text: String) -> String {
    var out = ""
    for byte in text.utf8 {
        switch byte {
        case UInt8(ascii: "A")...UInt8(ascii: "Z"), UInt8(ascii: "a")...UInt8(ascii: "z"),
            UInt8(ascii: "0")...UInt8(ascii: "9"), UInt8(ascii: "-"), UInt8(ascii: "_"), UInt8(ascii: "."),
            UInt8(ascii: "~"):
            out.unicodeScalars.append(Unicode.Scalar(byte))
        default:
            let hex = Array("0123456789ABCDEF".utf8)
            out += "%" + String(decoding: [hex[Int(byte >> 4)], hex[Int(byte & 15)]], as: UTF8.self)
        }
    }
    return out
}

/// `url` with `pairs` appended to its query string (already encoded).
func appendingQuery(_ url: String, _ pairs: [(String, String)]) -> String {
    guard !pairs.isEmpty else { return url }
    let query = pairs.map { "\($0.0)=\($0.1)" }.joined(separator: "&")
    return url + (url.contains("?") ? "&" : "?") + query
}
