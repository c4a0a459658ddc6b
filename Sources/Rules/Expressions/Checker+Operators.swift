import Foundation

/// Type rules of operators and functions.
extension Checker {
    mutating func binary(
        _ op: Syntax.BinaryOperator, _ left: Syntax, _ right: Syntax, _ whole: Syntax
    ) throws(ExpressionError) -> (expr: Expr, type: ValueType) {
        if op == .matches { return try matches(left, right) }
        let l = try check(left)
        let r = try check(right)
        let symbol = "'\(op.rawValue)'"
        switch op {
        case .and, .or:
            try expect(left, l.type, .bool, role: symbol)
            try expect(right, r.type, .bool, role: symbol)
            return (op == .and ? .and(l.expr, r.expr) : .or(l.expr, r.expr), .bool)
        case .equal, .notEqual:
            if case .constant(.null) = r.expr { return (.isNull(l.expr, negated: op == .notEqual), .bool) }
            if case .constant(.null) = l.expr { return (.isNull(r.expr, negated: op == .notEqual), .bool) }
            try sameKind(left, l.type, right, r.type, whole)
            return (.compare(op == .equal ? .equal : .notEqual, l.expr, r.expr), .bool)
        case .less, .lessOrEqual, .greater, .greaterOrEqual:
            try sameKind(left, l.type, right, r.type, whole)
            for (side, type) in [(left, l.type), (right, r.type)]
            where !type.allows(.number, .string, .time, .duration) {
                throw error(side, "\(symbol) orders numbers, strings, times and durations, not a \(type)")
            }
            let comparison: Expr.Comparison =
                switch op {
                case .less: .less
                case .lessOrEqual: .lessOrEqual
                case .greater: .greater
                default: .greaterOrEqual
                }
            return (.compare(comparison, l.expr, r.expr), .bool)
        case .isIn, .notIn:
            guard case .list(let element) = r.type.listOrAny else {
                throw error(right, "\(symbol) needs a list on its right, but \(text(right)) is a \(r.type)")
            }
            try sameKind(left, l.type, right, element, whole)
            return (.isIn(l.expr, r.expr, negated: op == .notIn), .bool)
        case .contains:
            switch l.type {
            case .list(let element): try sameKind(right, r.type, left, element, whole)
            case .any: break
            default:
                try expect(left, l.type, .string, role: symbol)
                try expect(right, r.type, .string, role: symbol)
            }
            return (.contains(l.expr, r.expr), .bool)
        case .startsWith, .endsWith:
            try expect(left, l.type, .string, role: symbol)
            try expect(right, r.type, .string, role: symbol)
            return (.stringTest(op == .startsWith ? .startsWith : .endsWith, l.expr, r.expr), .bool)
        case .plus, .minus:
            return try arithmetic(op, left, l, right, r, whole)
        case .matches:
            fatalError("handled above")
        }
    }

    private func sameKind(
        _ left: Syntax, _ leftType: ValueType, _ right: Syntax, _ rightType: ValueType, _ whole: Syntax
    ) throws(ExpressionError) {
        guard leftType.fits(rightType) else {
            throw error(
                whole, "type mismatch: \(text(left)) is a \(leftType) but \(text(right)) is a \(rightType)")
        }
    }

    private func arithmetic(
        _ op: Syntax.BinaryOperator, _ left: Syntax, _ l: (expr: Expr, type: ValueType),
        _ right: Syntax, _ r: (expr: Expr, type: ValueType), _ whole: Syntax
    ) throws(ExpressionError) -> (expr: Expr, type: ValueType) {
        let plus = op == .plus
        let type: ValueType?
        switch (l.type, r.type) {
        case (.any, .time), (.time, .any): type = .any
        case (.any, let other), (let other, .any): type = other
        case (.number, .number): type = .number
        case (.duration, .duration): type = .duration
        case (.time, .duration): type = .time
        case (.duration, .time): type = plus ? .time : nil
        case (.time, .time): type = plus ? nil : .duration
        case (.string, .string): type = plus ? .string : nil
        default: type = nil
        }
        guard let type else {
            throw error(
                whole,
                "'\(op.rawValue)' cannot combine \(text(left)) (a \(l.type)) with \(text(right)) (a \(r.type))")
        }
        return (plus ? .add(l.expr, r.expr) : .subtract(l.expr, r.expr), type)
    }

    private mutating func matches(_ left: Syntax, _ right: Syntax) throws(ExpressionError) -> (
        expr: Expr, type: ValueType
    ) {
        let l = try check(left)
        try expect(left, l.type, .string, role: "'matches'")
        guard case .literal(.string(let pattern)) = right.kind else {
            throw error(right, "'matches' needs a quoted regular expression on its right")
        }
        do {
            let regex = try NSRegularExpression(pattern: pattern)
            return (.matches(l.expr, CompiledPattern(regex: regex)), .bool)
        } catch {
            throw self.error(right, "bad regular expression \"\(pattern)\"")
        }
    }

    mutating func call(_ name: String, _ arguments: [Syntax], _ whole: Syntax) throws(ExpressionError) -> (
        expr: Expr, type: ValueType
    ) {
        guard Self.functions.contains(name) else {
            throw error(whole, "unknown function '\(name)'" + Suggestion.didYouMean(name, among: Self.functions))
        }
        guard arguments.count == 1 else {
            throw error(whole, "\(name)() takes one argument, not \(arguments.count)")
        }
        let argument = arguments[0]
        if name == "has" {
            switch argument.kind {
            case .name, .member, .index: return (.has(try check(argument).expr), .bool)
            default: throw error(argument, "has() takes a name such as order.remark or fields[\"x\"]")
            }
        }
        let checked = try check(argument)
        let function = Expr.Function(rawValue: name)!
        if function == .len {
            guard checked.type.allows(.string) || checked.type.listOrAny != nil else {
                throw error(argument, "len() needs a string or a list, but \(text(argument)) is a \(checked.type)")
            }
            return (.function(.len, checked.expr), .number)
        }
        try expect(argument, checked.type, .time, role: "\(name)()")
        return (.function(function, checked.expr), function == .date ? .time : .number)
    }
}

extension ValueType {
    /// The type as a list (`any` counts as a list of anything), or nil.
    var listOrAny: ValueType? {
        switch self {
        case .list: self
        case .any, .null: .list(.any)
        default: nil
        }
    }
}
