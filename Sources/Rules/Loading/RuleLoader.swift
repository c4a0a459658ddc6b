import Foundation
import YAML

/// Reads rule files into `Rule`s, collecting every problem instead of stopping at the first.
struct RuleLoader {
    let channels: [String: String]
    let orderFields: [String: ValueType]
    var slots = SlotTable()
    var rules: [Rule] = []
    var diagnostics: [Diagnostic] = []
    /// Where each rule name was first defined, for duplicate messages.
    private var seen: [String: String] = [:]

    static let ruleKeys = ["name", "on", "when", "at", "late", "grace", "notify"]

    init(channels: [String: String], orderFields: [String: ValueType]) {
        self.channels = channels
        self.orderFields = orderFields
    }

    /// Loads one file's rules, recording its problems.
    mutating func load(file: String) {
        guard let data = FileManager.default.contents(atPath: file) else {
            diagnostics.append(Diagnostic(file: file, line: 1, column: 1, message: "cannot read the file"))
            return
        }
        load(text: String(decoding: data, as: UTF8.self), file: file)
    }

    mutating func load(text: String, file: String) {
        let source = SourceText(file: file, text: text)
        let root: YAMLNode?
        do {
            root = try YAML.parse(text, file: file)
        } catch {
            diagnostics.append(Diagnostic(file: file, line: error.line, column: error.column, message: error.message))
            return
        }
        guard let root else { return }
        guard let pairs = root.mappingPairs else {
            diagnostics.append(source.diagnostic(root, "a rule file is a mapping with a 'rules:' list"))
            return
        }
        for (key, _) in pairs where key.string != "rules" {
            diagnostics.append(source.diagnostic(key, "unknown key '\(key.string ?? "?")'; a rule file holds 'rules:'"))
        }
        guard let list = root["rules"] else {
            diagnostics.append(source.diagnostic(root, "missing 'rules:' list"))
            return
        }
        guard let items = list.items else {
            diagnostics.append(source.diagnostic(list, "'rules' must be a list of rules"))
            return
        }
        for item in items { rule(item, source) }
    }

    private mutating func rule(_ node: YAMLNode, _ source: SourceText) {
        guard let pairs = node.mappingPairs else {
            diagnostics.append(source.diagnostic(node, "a rule must be a mapping, not \(node.kindName)"))
            return
        }
        for (key, _) in pairs where !Self.ruleKeys.contains(key.string ?? "") {
            let name = key.string ?? "?"
            diagnostics.append(
                source.diagnostic(
                    key, "unknown rule field '\(name)'" + Suggestion.didYouMean(name, among: Self.ruleKeys)))
        }
        let before = diagnostics.count
        let name = ruleName(node, source)
        let on = trigger(node, source)
        let when = expression(node["when"], source, role: "when", wanted: .bool)
        let at = expression(node["at"], source, role: "at", wanted: .time)
        let late = lateValue(node["late"], source)
        let grace = duration(node["grace"], source, default: 3600)
        let entries = notify(node, source)
        guard diagnostics.count == before, let name, let on else { return }
        let location = "\(source.file):\(node.mark.line):\(node.mark.column)"
        rules.append(
            Rule(name: name, on: on, when: when, at: at, late: late, grace: grace, notify: entries, location: location))
    }

    private mutating func scalarText(_ node: YAMLNode, _ source: SourceText, field: String) -> YAMLScalar? {
        guard let scalar = node.scalar else {
            diagnostics.append(source.diagnostic(node, "'\(field)' must be a single value, not \(node.kindName)"))
            return nil
        }
        return scalar
    }

    private mutating func ruleName(_ node: YAMLNode, _ source: SourceText) -> String? {
        guard let field = node["name"] else {
            diagnostics.append(source.diagnostic(node, "rule has no 'name'"))
            return nil
        }
        guard let name = scalarText(field, source, field: "name")?.value, !name.isEmpty else { return nil }
        let here = "\(source.file):\(field.mark.line):\(field.mark.column)"
        if let first = seen[name] {
            diagnostics.append(source.diagnostic(field, "duplicate rule name '\(name)' (first defined at \(first))"))
            return nil
        }
        seen[name] = here
        return name
    }

    private mutating func trigger(_ node: YAMLNode, _ source: SourceText) -> String? {
        guard let field = node["on"] else {
            diagnostics.append(source.diagnostic(node, "rule has no 'on' (appointment.created or action:NAME)"))
            return nil
        }
        guard let on = scalarText(field, source, field: "on")?.value else { return nil }
        let isAction = on.hasPrefix("action:") && on.count > "action:".count
        guard on == "appointment.created" || isAction else {
            diagnostics.append(
                source.diagnostic(field, "'on' must be appointment.created or action:NAME, not '\(on)'"))
            return nil
        }
        return on
    }

    private mutating func expression(
        _ node: YAMLNode?, _ source: SourceText, role: String, wanted: ValueType
    ) -> Expression? {
        guard let node, let scalar = scalarText(node, source, field: role) else { return nil }
        do {
            let compiled = try Expression.compile(scalar.value, orderFields: orderFields, slots: &slots)
            guard compiled.type.fits(wanted) else {
                let what = wanted == .time ? "a time" : "true or false"
                diagnostics.append(
                    source.diagnostic(
                        scalar, offset: 0, "'\(role)' must be \(what), but \(scalar.value) is a \(compiled.type)"))
                return nil
            }
            return compiled
        } catch {
            diagnostics.append(source.diagnostic(scalar, offset: error.offset, error.message))
            return nil
        }
    }

    private mutating func lateValue(_ node: YAMLNode?, _ source: SourceText) -> Rule.Late {
        guard let node, let text = scalarText(node, source, field: "late")?.value else { return .skip }
        guard let late = Rule.Late(rawValue: text) else {
            diagnostics.append(source.diagnostic(node, "'late' must be skip or send, not '\(text)'"))
            return .skip
        }
        return late
    }

    private mutating func duration(_ node: YAMLNode?, _ source: SourceText, default value: Double) -> Double {
        guard let node, let text = scalarText(node, source, field: "grace")?.value else { return value }
        guard let seconds = Durations.parse(text) else {
            diagnostics.append(
                source.diagnostic(node, "bad duration '\(text)' (write 90s, 30m, 2h, 1d or 1h30m)"))
            return value
        }
        return seconds
    }
}
