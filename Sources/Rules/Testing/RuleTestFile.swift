import Events
import Foundation
import JSON
import YAML

/// A rule-test file as read: rules under test, channels, zone, and cases of steps and expectations.
///
/// ```yaml
/// rules: [../new-booking.yaml]          # relative to this file
/// channels: {store-group: wecom}        # optional; console always exists
/// timezone: Asia/Shanghai               # optional
/// cases:
///   - name: a new booking is announced
///     steps:
///       - at: "2024-10-15 10:00:00"     # the clock when the event arrives
///         event: events/booking.json    # a plaintext envelope file, or an inline mapping
///         order: {order_status: 30}     # optional: members replaced in body.order
///     expect:                           # every notification sent, in any order; or `none: true`
///       - {rule: new-booking, channel: console, at: "2024-10-15 10:00:00", text: "…"}
///       - {rule: reminder, at: "2024-10-15 16:30:00", matches: "张杨"}
/// ```
struct RuleTestFile {
    struct Step {
        let at: Date
        let event: Event
    }

    struct Expectation {
        let rule: String?
        let channel: String?
        let at: Date?
        let text: String?
        let pattern: NSRegularExpression?
        let source: String
    }

    struct Case {
        let name: String
        let steps: [Step]
        let expectations: [Expectation]
    }

    let ruleFiles: [String]
    let channels: [String: String]
    let clock: ShopClock
    let cases: [Case]

    /// A problem in the test file itself.
    struct Problem: Error {
        let message: String
    }

    static func read(_ path: String) throws(Problem) -> RuleTestFile {
        guard let data = FileManager.default.contents(atPath: path) else { throw Problem(message: "cannot read") }
        let root: YAMLNode?
        do {
            root = try YAML.parse(String(decoding: data, as: UTF8.self), file: path)
        } catch {
            throw Problem(message: error.description)
        }
        guard let root, root.mappingPairs != nil else { throw Problem(message: "\(path): not a mapping") }
        let folder = (path as NSString).deletingLastPathComponent
        func relative(_ name: String) -> String {
            name.hasPrefix("/") ? name : (folder as NSString).appendingPathComponent(name)
        }
        let ruleNames = root["rules"]?.items?.compactMap(\.string) ?? root["rules"]?.string.map { [$0] } ?? []
        guard !ruleNames.isEmpty else { throw Problem(message: at(root, path, "'rules' names no rule file")) }
        var channels: [String: String] = [:]
        for (key, value) in root["channels"]?.mappingPairs ?? [] { channels[key.string ?? ""] = value.string }
        var zone = ShopClock.defaultTimeZone
        if let name = root["timezone"]?.string {
            guard let named = TimeZone(identifier: name) else {
                throw Problem(message: at(root["timezone"]!, path, "unknown time zone '\(name)'"))
            }
            zone = named
        }
        let clock = ShopClock(timeZone: zone)
        var cases: [Case] = []
        for node in root["cases"]?.items ?? [] {
            cases.append(try readCase(node, path: path, clock: clock, relative: relative))
        }
        guard !cases.isEmpty else { throw Problem(message: at(root, path, "no 'cases'")) }
        return RuleTestFile(ruleFiles: ruleNames.map(relative), channels: channels, clock: clock, cases: cases)
    }

    private static func at(_ node: YAMLNode, _ path: String, _ message: String) -> String {
        "\(path):\(node.mark.line):\(node.mark.column): \(message)"
    }

    private static func readCase(
        _ node: YAMLNode, path: String, clock: ShopClock, relative: (String) -> String
    ) throws(Problem) -> Case {
        let name = node["name"]?.string ?? "case at line \(node.mark.line)"
        var steps: [Step] = []
        for step in node["steps"]?.items ?? [] {
            guard let text = step["at"]?.string, let time = clock.parse(text) else {
                throw Problem(message: at(step, path, "a step needs 'at: yyyy-MM-dd HH:mm:ss'"))
            }
            steps.append(Step(at: time, event: try readEvent(step, path: path, clock: clock, relative: relative)))
        }
        guard !steps.isEmpty else { throw Problem(message: at(node, path, "case '\(name)' has no 'steps'")) }
        var expectations: [Expectation] = []
        let expect = node["expect"]
        if expect?["none"]?.string != "true" {
            for item in expect?.items ?? [] { expectations.append(try readExpectation(item, path: path, clock: clock)) }
            guard !expectations.isEmpty else {
                throw Problem(
                    message: at(node, path, "case '\(name)' needs 'expect:' entries or 'expect: {none: true}'"))
            }
        }
        return Case(name: name, steps: steps, expectations: expectations)
    }

    private static func readEvent(
        _ step: YAMLNode, path: String, clock: ShopClock, relative: (String) -> String
    ) throws(Problem) -> Event {
        var envelope: JSONValue
        switch step["event"] {
        case .scalar(let scalar)?:
            guard let data = FileManager.default.contents(atPath: relative(scalar.value)),
                let parsed = try? JSONValue.parse([UInt8](data))
            else { throw Problem(message: at(step, path, "cannot read the event file '\(scalar.value)'")) }
            envelope = parsed
        case let node?: envelope = node.json(typed: true)
        case nil: throw Problem(message: at(step, path, "a step needs an 'event'"))
        }
        if let changes = step["order"]?.json(typed: true).objectValue,
            case .object(var root) = envelope, case .object(var body)? = root["body"],
            case .object(var order)? = body["order"]
        {
            for (key, value) in changes { order[key] = value }
            body["order"] = .object(order)
            root["body"] = .object(body)
            envelope = .object(root)
        }
        do {
            return try Event.decode(envelope.serializedBytes(), clock: clock)
        } catch {
            throw Problem(message: at(step, path, "the event does not decode: \(error)"))
        }
    }

    private static func readExpectation(_ node: YAMLNode, path: String, clock: ShopClock) throws(Problem)
        -> Expectation
    {
        var time: Date?
        if let text = node["at"]?.string {
            guard let parsed = clock.parse(text) else {
                throw Problem(message: at(node, path, "'at' must be yyyy-MM-dd HH:mm:ss, not '\(text)'"))
            }
            time = parsed
        }
        var pattern: NSRegularExpression?
        if let text = node["matches"]?.string {
            guard let regex = try? NSRegularExpression(pattern: text) else {
                throw Problem(message: at(node, path, "bad regular expression \"\(text)\""))
            }
            pattern = regex
        }
        let source = (node.mappingPairs ?? []).map { "\($0.key.string ?? ""): \($0.value.string ?? "…")" }
            .joined(separator: ", ")
        return Expectation(
            rule: node["rule"]?.string, channel: node["channel"]?.string, at: time, text: node["text"]?.string,
            pattern: pattern, source: "{\(source)}")
    }
}
