import JSON

/// A channel's settings from the config, read with errors that name the channel and the key. Scalars arrive as
/// strings from YAML, so numbers and booleans are accepted in their text form.
struct Settings {
    /// The channel's name, for errors.
    let channel: String
    /// The raw settings.
    let values: JSONObject

    /// The text of `key`, or nil when absent or empty.
    func string(_ key: String) throws(ChannelConfigError) -> String? {
        guard let value = values[key], !value.isNull else { return nil }
        switch value {
        case .string(let text): return text.isEmpty ? nil : text
        case .number(let text): return text
        case .bool(let flag): return flag ? "true" : "false"
        default: throw .invalidSetting(channel: channel, key: key, reason: "expected a single value")
        }
    }

    /// The text of `key`, which must be present.
    func required(_ key: String) throws(ChannelConfigError) -> String {
        guard let text = try string(key) else { throw .missingSetting(channel: channel, key: key) }
        return text
    }

    /// The boolean of `key` (`true`/`false`, `yes`/`no`, `1`/`0`), or `fallback` when absent.
    func bool(_ key: String, default fallback: Bool) throws(ChannelConfigError) -> Bool {
        guard let text = try string(key)?.lowercased() else { return fallback }
        switch text {
        case "true", "yes", "on", "1": return true
        case "false", "no", "off", "0": return false
        default: throw .invalidSetting(channel: channel, key: key, reason: "expected true or false")
        }
    }

    /// The string pairs of the mapping `key` (headers), in order.
    func pairs(_ key: String) throws(ChannelConfigError) -> [(String, String)] {
        guard let value = values[key], !value.isNull else { return [] }
        guard let object = value.objectValue else {
            throw .invalidSetting(channel: channel, key: key, reason: "expected a mapping")
        }
        return object.map { ($0.key, $0.value.text) }
    }

    /// The url from `key`, which must be http(s) (or one of `schemes`), or `fallback` when absent.
    func url(
        _ key: String = "url", default fallback: String?, schemes: [String] = ["http", "https"]
    ) throws(ChannelConfigError) -> String {
        guard let url = try string(key) ?? fallback else { throw .missingSetting(channel: channel, key: key) }
        let scheme = url.split(separator: ":", maxSplits: 1).first.map { $0.lowercased() } ?? ""
        guard schemes.contains(scheme), url.contains("://") else {
            let allowed = schemes.map { $0 + "://" }.joined(separator: " or ")
            throw .invalidSetting(channel: channel, key: key, reason: "must start with \(allowed)")
        }
        return url
    }
}

/// Why a channel's settings are unusable. Never carries a setting's value, which may be a secret.
public enum ChannelConfigError: Error, Sendable, Equatable, CustomStringConvertible {
    /// The type is not one this build knows.
    case unknownType(channel: String, type: String)
    /// A required setting is absent or empty.
    case missingSetting(channel: String, key: String)
    /// A setting has an unusable value.
    case invalidSetting(channel: String, key: String, reason: String)

    /// A short text naming the channel and the key.
    public var description: String {
        switch self {
        case .unknownType(let channel, let type):
            "channel \(channel): unknown type \"\(type)\" (known: \(ChannelFactory.knownTypes.joined(separator: ", ")))"
        case .missingSetting(let channel, let key):
            "channel \(channel): missing setting \(key)"
        case .invalidSetting(let channel, let key, let reason):
            "channel \(channel): setting \(key) \(reason)"
        }
    }
}
