import Foundation

/// Checks parsed expressions against the names and types the rules may use, and compiles them to `Expr`.
struct Checker {
    /// The types of `order.<field>`, from the OrderInfo table.
    let orderFields: [String: ValueType]
    /// The expression's source, to quote operands in messages.
    let source: [Unicode.Scalar]
    /// Slots for every reference checked so far; shared by all expressions of a rule set.
    var slots: SlotTable

    static let rootNames = ["order", "fields", "event", "body", "account", "user_id", "now"]
    static let eventMembers = ["id", "action", "event"]
    static let functions = ["hour", "minute", "weekday", "date", "len", "has"]

    func text(_ syntax: Syntax) -> String {
        String(String.UnicodeScalarView(source[syntax.start..<min(syntax.end, source.count)]))
    }

    func error(_ syntax: Syntax, _ message: String) -> ExpressionError {
        ExpressionError(offset: syntax.focus, message: message)
    }

    /// Compiles `syntax`, returning its tree and static type.
    mutating func check(_ syntax: Syntax) throws(ExpressionError) -> (expr: Expr, type: ValueType) {
        switch syntax.kind {
        case .literal(let value): return (.constant(value), value.type)
        case .name, .member, .index: return try reference(syntax)
        case .list(let items):
            var exprs: [Expr] = []
            var element: ValueType?
            for item in items {
                let checked = try check(item)
                exprs.append(checked.expr)
                element = element.map { $0 == checked.type ? $0 : .any } ?? checked.type
            }
            let constants = exprs.compactMap { expr -> Value? in
                if case .constant(let value) = expr { return value }
                return nil
            }
            let type = ValueType.list(element ?? .any)
            return constants.count == exprs.count ? (.constant(.list(constants)), type) : (.list(exprs), type)
        case .not(let operand):
            let checked = try check(operand)
            try expect(operand, checked.type, .bool, role: "'not'")
            return (.not(checked.expr), .bool)
        case .negate(let operand):
            let checked = try check(operand)
            guard checked.type.allows(.number, .duration) else {
                throw error(operand, "'-' needs a number or a duration, but \(text(operand)) is a \(checked.type)")
            }
            return (.negate(checked.expr), checked.type)
        case .binary(let op, let left, let right): return try binary(op, left, right, syntax)
        case .call(let name, let arguments): return try call(name, arguments, syntax)
        }
    }

    func expect(_ syntax: Syntax, _ type: ValueType, _ wanted: ValueType, role: String) throws(ExpressionError) {
        guard type.fits(wanted) else {
            throw ExpressionError(
                offset: syntax.start, message: "\(role) needs a \(wanted), but \(text(syntax)) is a \(type)")
        }
    }

    /// Resolves a name, member or index chain to a context slot (or `now`).
    private mutating func reference(_ syntax: Syntax) throws(ExpressionError) -> (expr: Expr, type: ValueType) {
        switch syntax.kind {
        case .name("now"): return (.now, .time)
        case .name("account"): return (.slot(slots.slot(for: .account)), .string)
        case .name("user_id"): return (.slot(slots.slot(for: .userID)), .string)
        case .name(let name) where ["order", "fields", "event", "body"].contains(name):
            if name == "body" { return (.slot(slots.slot(for: .body([]))), .any) }
            let shape = name == "fields" ? "fields[\"name\"]" : "\(name).<name>"
            throw error(syntax, "'\(name)' needs a member: write \(shape)")
        case .name(let name):
            throw error(syntax, "unknown name '\(name)'" + Suggestion.didYouMean(name, among: Self.rootNames))
        case .member(let base, let member):
            if case .name("order") = base.kind {
                guard let type = orderFields[member] else {
                    let hint = Suggestion.didYouMean(member, among: Array(orderFields.keys))
                    throw error(syntax, "unknown order field '\(member)'" + hint)
                }
                return (.slot(slots.slot(for: .order(member))), type)
            }
            if case .name("event") = base.kind {
                let reference: Reference? =
                    switch member {
                    case "id": .eventID
                    case "action": .eventAction
                    case "event": .eventEvent
                    default: nil
                    }
                guard let reference else {
                    let hint = Suggestion.didYouMean(member, among: Self.eventMembers)
                    throw error(syntax, "unknown event member '\(member)'" + hint)
                }
                return (.slot(slots.slot(for: reference)), .string)
            }
            return try bodyPath(syntax)
        case .index(let base, let index):
            if case .name("fields") = base.kind {
                guard case .literal(.string(let name)) = index.kind else {
                    throw error(index, "fields[...] takes the custom field's name as a quoted string")
                }
                return (.slot(slots.slot(for: .field(name))), .any)
            }
            return try bodyPath(syntax)
        default:
            throw error(syntax, "unexpected expression")
        }
    }

    /// `body.a.b[0]`: a path into the raw event body.
    private mutating func bodyPath(_ syntax: Syntax) throws(ExpressionError) -> (expr: Expr, type: ValueType) {
        var steps: [Reference.Step] = []
        var node = syntax
        while true {
            switch node.kind {
            case .member(let base, let name):
                steps.append(.key(name))
                node = base
            case .index(let base, let index):
                switch index.kind {
                case .literal(.string(let key)): steps.append(.key(key))
                case .literal(.number(let number)) where number >= 0 && number == number.rounded():
                    steps.append(.index(Int(number)))
                default: throw error(index, "an index into body needs a quoted name or a whole number")
                }
                node = base
            case .name("body"):
                return (.slot(slots.slot(for: .body(steps.reversed()))), .any)
            case .name(let name) where !Self.rootNames.contains(name):
                throw error(node, "unknown name '\(name)'" + Suggestion.didYouMean(name, among: Self.rootNames))
            default:
                throw error(node, "only order, event and body have members; '\(text(node))' has none")
            }
        }
    }
}
