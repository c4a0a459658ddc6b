import JSON
import YAML

/// The `notify:` entries of a rule, checked against their channel's fields.
extension RuleLoader {
    mutating func notify(_ rule: YAMLNode, _ source: SourceText) -> [NotificationEntry] {
        guard let node = rule["notify"] else {
            diagnostics.append(source.diagnostic(rule, "rule has no 'notify' list"))
            return []
        }
        guard let items = node.items, !items.isEmpty else {
            diagnostics.append(source.diagnostic(node, "'notify' must be a list of at least one entry"))
            return []
        }
        return items.compactMap { entry($0, source) }
    }

    private mutating func entry(_ node: YAMLNode, _ source: SourceText) -> NotificationEntry? {
        guard let pairs = node.mappingPairs else {
            diagnostics.append(source.diagnostic(node, "a notify entry must be a mapping with a 'channel'"))
            return nil
        }
        guard let channelNode = node["channel"], let channel = channelNode.string else {
            diagnostics.append(source.diagnostic(node, "notify entry has no 'channel'"))
            return nil
        }
        guard let type = channels[channel], let schema = ChannelSchema.byType[type] else {
            let hint = Suggestion.didYouMean(channel, among: Array(channels.keys))
            diagnostics.append(source.diagnostic(channelNode, "unknown channel '\(channel)'" + hint))
            return nil
        }
        let before = diagnostics.count
        var fields: [(name: String, value: EntryValue)] = []
        for (key, value) in pairs {
            let name = key.string ?? "?"
            if name == "channel" { continue }
            guard let shape = schema.fields[name] else {
                let hint = Suggestion.didYouMean(name, among: Array(schema.fields.keys))
                diagnostics.append(source.diagnostic(key, "unknown field '\(name)' for a \(type) channel" + hint))
                continue
            }
            if let compiled = field(value, shape: shape, name: name, source) { fields.append((name, compiled)) }
        }
        let given = Set(fields.map(\.name))
        for choice in schema.choices {
            let present = choice.fields.filter { given.contains($0) || node[$0] != nil }
            let names = choice.fields.map { "'\($0)'" }.joined(separator: " or ")
            if present.isEmpty {
                diagnostics.append(source.diagnostic(node, "a \(type) entry needs \(names)"))
            } else if choice.exclusive, present.count > 1 {
                diagnostics.append(source.diagnostic(node, "a \(type) entry takes only one of \(names)"))
            }
        }
        guard diagnostics.count == before else { return nil }
        return NotificationEntry(channel: channel, channelType: type, fields: fields)
    }

    private mutating func field(_ node: YAMLNode, shape: ChannelSchema.Shape, name: String, _ source: SourceText)
        -> EntryValue?
    {
        switch (shape, node) {
        case (.text, .scalar), (.textOrList, .scalar):
            return template(node.scalar!, source)
        case (.list, .sequence(let items, _)), (.textOrList, .sequence(let items, _)):
            let parts = items.map { item -> EntryValue? in
                guard let scalar = item.scalar else {
                    diagnostics.append(source.diagnostic(item, "items of '\(name)' must be single values"))
                    return nil
                }
                return template(scalar, source)
            }
            return parts.contains { $0 == nil } ? nil : .list(parts.compactMap { $0 })
        case (.map, .mapping(let pairs, _)):
            var compiled: [(key: String, value: EntryValue)] = []
            for (key, value) in pairs {
                guard let scalar = value.scalar else {
                    diagnostics.append(source.diagnostic(value, "values of '\(name)' must be single values"))
                    return nil
                }
                guard let rendered = template(scalar, source) else { return nil }
                compiled.append((key.string ?? "", rendered))
            }
            return .map(compiled)
        case (.tree, _):
            return tree(node, source)
        default:
            let wanted =
                switch shape {
                case .text: "a single value"
                case .list: "a list"
                case .textOrList: "a value or a list"
                case .map: "a mapping"
                case .tree: "a YAML tree"
                }
            diagnostics.append(source.diagnostic(node, "'\(name)' must be \(wanted), not \(node.kindName)"))
            return nil
        }
    }

    /// A webhook body: plain numbers, booleans and null stay typed; every other scalar is a template.
    private mutating func tree(_ node: YAMLNode, _ source: SourceText) -> EntryValue? {
        switch node {
        case .scalar(let scalar):
            if scalar.style == .plain, let constant = Self.typedScalar(scalar.value) { return .constant(constant) }
            return template(scalar, source)
        case .sequence(let items, _):
            let parts = items.map { tree($0, source) }
            return parts.contains { $0 == nil } ? nil : .list(parts.compactMap { $0 })
        case .mapping(let pairs, _):
            var compiled: [(key: String, value: EntryValue)] = []
            for (key, value) in pairs {
                guard let part = tree(value, source) else { return nil }
                compiled.append((key.string ?? "", part))
            }
            return .map(compiled)
        }
    }

    /// The JSON value a plain YAML scalar stands for when it is a number, boolean or null.
    static func typedScalar(_ text: String) -> JSONValue? {
        switch text {
        case "true": return .bool(true)
        case "false": return .bool(false)
        case "null", "~": return .null
        default:
            guard let number = try? JSONValue.parse(text), case .number = number else { return nil }
            return number
        }
    }

    private mutating func template(_ scalar: YAMLScalar, _ source: SourceText) -> EntryValue? {
        do {
            return .template(try Template.compile(scalar.value, orderFields: orderFields, slots: &slots))
        } catch {
            diagnostics.append(source.diagnostic(scalar, offset: error.offset, error.message))
            return nil
        }
    }
}
