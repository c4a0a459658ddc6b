/// The run-time semantics of operators: null or a mismatched type makes a comparison false.
extension Expr {
    /// Equality across kinds; a number and a numeric string compare as numbers (dynamic `body` values).
    static func equal(_ left: Value, _ right: Value) -> Bool {
        switch (left, right) {
        case (.null, _), (_, .null): false
        case (.number(let a), .string(let b)): Double(b) == a
        case (.string(let a), .number(let b)): Double(a) == b
        default: left == right
        }
    }

    /// The order of two values of one kind, or nil when they do not compare.
    static func order(_ left: Value, _ right: Value) -> Int? {
        func sign<T: Comparable>(_ a: T, _ b: T) -> Int { a < b ? -1 : (a == b ? 0 : 1) }
        switch (left, right) {
        case (.number(let a), .number(let b)), (.time(let a), .time(let b)), (.duration(let a), .duration(let b)):
            return sign(a, b)
        case (.string(let a), .string(let b)): return sign(a, b)
        case (.number(let a), .string(let b)): return Double(b).map { sign(a, $0) }
        case (.string(let a), .number(let b)): return Double(a).map { sign($0, b) }
        default: return nil
        }
    }

    static func compare(_ op: Comparison, _ left: Value, _ right: Value) -> Bool {
        switch op {
        case .equal: return equal(left, right)
        case .notEqual: return left != .null && right != .null && !equal(left, right)
        default:
            guard let order = order(left, right) else { return false }
            switch op {
            case .less: return order < 0
            case .lessOrEqual: return order <= 0
            case .greater: return order > 0
            default: return order >= 0
            }
        }
    }

    static func contains(_ haystack: Value, _ needle: Value) -> Bool {
        switch (haystack, needle) {
        case (.string(let text), .string(let part)): text.contains(part)
        case (.list(let items), _): needle != .null && items.contains { equal($0, needle) }
        default: false
        }
    }

    static func add(_ left: Value, _ right: Value) -> Value {
        switch (left, right) {
        case (.number(let a), .number(let b)): .number(a + b)
        case (.time(let t), .duration(let d)), (.duration(let d), .time(let t)): .time(t + d)
        case (.duration(let a), .duration(let b)): .duration(a + b)
        case (.string(let a), .string(let b)): .string(a + b)
        default: .null
        }
    }

    static func subtract(_ left: Value, _ right: Value) -> Value {
        switch (left, right) {
        case (.number(let a), .number(let b)): .number(a - b)
        case (.time(let t), .duration(let d)): .time(t - d)
        case (.time(let a), .time(let b)): .duration(a - b)
        case (.duration(let a), .duration(let b)): .duration(a - b)
        default: .null
        }
    }

    static func call(_ function: Function, _ argument: Value, _ zone: ZoneMath) -> Value {
        switch (function, argument) {
        case (.len, .string(let text)): .number(Double(text.count))
        case (.len, .list(let items)): .number(Double(items.count))
        case (.len, _): .number(0)
        case (.hour, .time(let t)): .number(Double(zone.fields(t).hour))
        case (.minute, .time(let t)): .number(Double(zone.fields(t).minute))
        case (.weekday, .time(let t)): .number(Double(zone.fields(t).weekday))
        case (.date, .time(let t)): .time(zone.startOfDay(t))
        default: .null
        }
    }
}
