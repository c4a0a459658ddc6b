import JSON
import YAML

extension YAMLNode {
    /// The node as JSON; with `typed`, plain scalars that read as numbers, booleans or null become those.
    public func json(typed: Bool = false) -> JSONValue {
        switch self {
        case .scalar(let scalar):
            if typed, scalar.style == .plain, let value = RuleLoader.typedScalar(scalar.value) { return value }
            return .string(scalar.value)
        case .sequence(let items, _): return .array(items.map { $0.json(typed: typed) })
        case .mapping(let pairs, _):
            var object = JSONObject()
            for (key, value) in pairs { object[key.string ?? ""] = value.json(typed: typed) }
            return .object(object)
        }
    }
}
