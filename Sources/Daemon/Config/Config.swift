import Foundation
import JSON
import Rules
import YAML

/// The daemon's settings from `scrm-notify.yaml`, with DESIGN's defaults for everything left out.
public struct Config: Sendable {
    /// Where the HTTP server listens.
    public var listenHost = "127.0.0.1"
    public var listenPort: UInt16 = 8080
    /// The folder that holds the SQLite store.
    public var dataDirectory = "./data"
    /// The folder of rule files.
    public var rulesDirectory = "./rules"
    /// The shop's time zone: booking times are read in it and reminders shown in it.
    public var timeZone = TimeZone(identifier: "Asia/Shanghai")!
    public var callback = Callback()
    /// The bearer token of the admin API; without one, admin calls are taken only from loopback.
    public var adminToken: String?
    public var log = Log()
    /// Channels by name; `console` exists without being configured.
    public var channels: [String: ChannelSpec] = [:]
    /// The file the config came from, or nil for the built-in defaults.
    public var file: String?

    /// The platform callback's settings.
    public struct Callback: Sendable {
        public var path = "/callback"
        public var token = ""
        public var aesKey = ""
        public var receiveID = ""
        public var requireEncryption = false
    }

    /// Logging settings; command-line flags override them.
    public struct Log: Sendable {
        public var level = "info"
        public var format = "logfmt"
    }

    /// One configured channel: its type and its settings as given (values are strings, lists or maps).
    public struct ChannelSpec: Sendable {
        public var type: String
        public var settings: JSONObject
        /// Where the channel is defined, for positioned errors.
        public var line: Int
        public var column: Int
    }

    public init() {}

    /// Channel name → type, `console` included, as the rule loader wants it.
    public var channelTypes: [String: String] {
        var types = ["console": "console"]
        for (name, spec) in channels { types[name] = spec.type }
        return types
    }

    /// The config of `path`, or the defaults when `path` is nil and `./scrm-notify.yaml` does not exist.
    /// Every problem is reported, each with its position.
    public static func load(path: String?, environment: [String: String] = ProcessInfo.processInfo.environment)
        -> Result<Config, RuleErrors>
    {
        let chosen = path ?? "scrm-notify.yaml"
        guard FileManager.default.fileExists(atPath: chosen) else {
            if path == nil { return .success(Config()) }
            return .failure(
                RuleErrors(diagnostics: [Diagnostic(file: chosen, line: 1, column: 1, message: "config file not found")]
                ))
        }
        guard let data = FileManager.default.contents(atPath: chosen) else {
            return .failure(
                RuleErrors(diagnostics: [
                    Diagnostic(file: chosen, line: 1, column: 1, message: "config file cannot be read")
                ]))
        }
        return parse(String(decoding: data, as: UTF8.self), file: chosen, environment: environment)
    }

    /// Parses config text; `file` names it in errors.
    public static func parse(_ text: String, file: String, environment: [String: String]) -> Result<Config, RuleErrors>
    {
        var reader = ConfigReader(file: file, environment: environment)
        let root: YAMLNode?
        do {
            root = try YAML.parse(text, file: file)
        } catch {
            return .failure(
                RuleErrors(diagnostics: [
                    Diagnostic(file: file, line: error.line, column: error.column, message: error.message)
                ]))
        }
        var config = Config()
        config.file = file
        if let root { reader.read(root, into: &config) }
        return reader.problems.isEmpty ? .success(config) : .failure(RuleErrors(diagnostics: reader.problems))
    }
}
