import Foundation
import JSON
import Rules
import YAML

/// Reads the config's YAML tree into a `Config`, collecting every problem with its position.
struct ConfigReader {
    let file: String
    let environment: [String: String]
    var problems: [Diagnostic] = []

    init(file: String, environment: [String: String]) {
        self.file = file
        self.environment = environment
    }

    mutating func problem(_ node: YAMLNode, _ message: String) {
        problems.append(Diagnostic(file: file, line: node.mark.line, column: node.mark.column, message: message))
    }

    /// A scalar's text with `${VAR}` replaced from the environment (an unset variable reads as "").
    mutating func string(_ node: YAMLNode, _ key: String) -> String? {
        guard let value = node.string else {
            problem(node, "\(key) must be a single value, not \(node.kindName)")
            return nil
        }
        return expand(value)
    }

    func expand(_ text: String) -> String {
        guard text.contains("${") else { return text }
        var out = ""
        var rest = Substring(text)
        while let start = rest.range(of: "${") {
            out += rest[..<start.lowerBound]
            guard let end = rest[start.upperBound...].firstIndex(of: "}") else {
                out += rest[start.lowerBound...]
                return out
            }
            out += environment[String(rest[start.upperBound..<end])] ?? ""
            rest = rest[rest.index(after: end)...]
        }
        return out + rest
    }

    mutating func read(_ root: YAMLNode, into config: inout Config) {
        guard let pairs = root.mappingPairs else {
            problem(root, "the config must be a mapping of settings")
            return
        }
        for (keyNode, value) in pairs {
            let key = keyNode.string ?? ""
            switch key {
            case "listen":
                guard let text = string(value, key) else { continue }
                if let (host, port) = Self.splitListen(text) {
                    config.listenHost = host
                    config.listenPort = port
                } else {
                    problem(value, "listen must be HOST:PORT, like 127.0.0.1:8080")
                }
            case "data": if let text = string(value, key) { config.dataDirectory = text }
            case "rules": if let text = string(value, key) { config.rulesDirectory = text }
            case "timezone":
                guard let text = string(value, key) else { continue }
                if let zone = TimeZone(identifier: text) {
                    config.timeZone = zone
                } else {
                    problem(value, "unknown time zone \"\(text)\"")
                }
            case "callback": readCallback(value, into: &config.callback)
            case "admin":
                guard let pairs = value.mappingPairs else {
                    problem(value, "admin must be a mapping")
                    continue
                }
                for (k, v) in pairs {
                    if k.string == "token" {
                        let token = string(v, "admin.token") ?? ""
                        config.adminToken = token.isEmpty ? nil : token
                    } else {
                        problem(k, "unknown setting admin.\(k.string ?? "?")")
                    }
                }
            case "log": readLog(value, into: &config.log)
            case "channels": readChannels(value, into: &config.channels)
            default:
                problem(keyNode, "unknown setting \"\(key)\"" + Self.suggestion(for: key, among: Self.topKeys))
            }
        }
    }

    static let topKeys = ["listen", "data", "rules", "timezone", "callback", "admin", "log", "channels"]

    mutating func readCallback(_ node: YAMLNode, into callback: inout Config.Callback) {
        guard let pairs = node.mappingPairs else {
            problem(node, "callback must be a mapping")
            return
        }
        for (keyNode, value) in pairs {
            let key = keyNode.string ?? ""
            guard let text = string(value, "callback.\(key)") else { continue }
            switch key {
            case "path": callback.path = text.hasPrefix("/") ? text : "/" + text
            case "token": callback.token = text
            case "aes_key":
                callback.aesKey = text
                if !text.isEmpty && text.count != 43 { problem(value, "callback.aes_key must have 43 characters") }
            case "receive_id": callback.receiveID = text
            case "require_encryption":
                guard let flag = Self.bool(text) else {
                    problem(value, "callback.require_encryption must be true or false")
                    continue
                }
                callback.requireEncryption = flag
            default: problem(keyNode, "unknown setting callback.\(key)")
            }
        }
    }

    mutating func readLog(_ node: YAMLNode, into log: inout Config.Log) {
        guard let pairs = node.mappingPairs else {
            problem(node, "log must be a mapping")
            return
        }
        for (keyNode, value) in pairs {
            let key = keyNode.string ?? ""
            guard let text = string(value, "log.\(key)") else { continue }
            switch key {
            case "level":
                if ["debug", "info", "warning", "error"].contains(text) {
                    log.level = text
                } else {
                    problem(value, "log.level must be debug, info, warning or error")
                }
            case "format":
                if ["logfmt", "json"].contains(text) {
                    log.format = text
                } else {
                    problem(value, "log.format must be logfmt or json")
                }
            default: problem(keyNode, "unknown setting log.\(key)")
            }
        }
    }

    mutating func readChannels(_ node: YAMLNode, into channels: inout [String: Config.ChannelSpec]) {
        guard let pairs = node.mappingPairs else {
            problem(node, "channels must be a mapping of channel names to settings")
            return
        }
        for (keyNode, value) in pairs {
            guard let name = keyNode.string, !name.isEmpty else {
                problem(keyNode, "a channel name must be text")
                continue
            }
            if channels[name] != nil { problem(keyNode, "channel \"\(name)\" is defined twice") }
            guard case .object(var settings) = json(value) else {
                problem(value, "channel \"\(name)\" must be a mapping with a type")
                continue
            }
            guard let type = settings["type"]?.stringValue, !type.isEmpty else {
                problem(value, "channel \"\(name)\" has no type")
                continue
            }
            settings["type"] = nil
            channels[name] = Config.ChannelSpec(
                type: type, settings: settings, line: value.mark.line, column: value.mark.column)
        }
    }

    /// The node as JSON with every scalar a string (environment variables expanded).
    func json(_ node: YAMLNode) -> JSONValue {
        switch node {
        case .scalar(let scalar): return .string(expand(scalar.value))
        case .sequence(let items, _): return .array(items.map(json))
        case .mapping(let pairs, _):
            var object = JSONObject()
            for (key, value) in pairs { object[key.string ?? ""] = json(value) }
            return .object(object)
        }
    }

    static func bool(_ text: String) -> Bool? {
        switch text.lowercased() {
        case "true", "yes", "on": return true
        case "false", "no", "off": return false
        default: return nil
        }
    }

    /// Splits `host:port`, `:port` or `[v6]:port`.
    static func splitListen(_ text: String) -> (String, UInt16)? {
        guard let colon = text.lastIndex(of: ":"), let port = UInt16(text[text.index(after: colon)...]) else {
            return nil
        }
        var host = String(text[..<colon])
        if host.hasPrefix("[") && host.hasSuffix("]") { host = String(host.dropFirst().dropLast()) }
        return (host, port)
    }

    static func suggestion(for word: String, among candidates: [String]) -> String {
        let best = candidates.min { editDistance($0, word) < editDistance($1, word) }
        guard let best, editDistance(best, word) <= 2 else { return "" }
        return "; did you mean \"\(best)\"?"
    }

    static func editDistance(_ a: String, _ b: String) -> Int {
        let a = Array(a)
        let b = Array(b)
        if a.isEmpty { return b.count }
        var previous = Array(0...b.count)
        for i in 1...a.count {
            var current = [i] + Array(repeating: 0, count: b.count)
            for j in 1...max(b.count, 1) where j <= b.count {
                current[j] = min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + (a[i - 1] == b[j - 1] ? 0 : 1))
            }
            previous = current
        }
        return previous[b.count]
    }
}
