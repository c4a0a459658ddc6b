/// A parsed expression before checking: what was written, with its source range for messages.
final class Syntax: Sendable {
    /// The operators written between two operands.
    enum BinaryOperator: String, Sendable {
        case and = "&&", or = "||"
        case equal = "==", notEqual = "!=", less = "<", lessOrEqual = "<=", greater = ">", greaterOrEqual = ">="
        case isIn = "in", notIn = "not in", contains, startsWith, endsWith, matches
        case plus = "+", minus = "-"
    }

    /// The shapes an expression can have.
    enum Kind: Sendable {
        case literal(Value)
        case name(String)
        case member(Syntax, String)
        case index(Syntax, Syntax)
        case list([Syntax])
        case not(Syntax)
        case negate(Syntax)
        case binary(BinaryOperator, Syntax, Syntax)
        case call(String, [Syntax])
    }

    let kind: Kind
    /// Scalar offsets of the first character and one past the last.
    let start: Int
    let end: Int
    /// Where the operator or name that a message should point at sits (the operator of a binary expression).
    let focus: Int

    init(_ kind: Kind, start: Int, end: Int, focus: Int? = nil) {
        self.kind = kind
        self.start = start
        self.end = end
        self.focus = focus ?? start
    }

    /// The top-level conjuncts of `a && b && c`, for explaining which part failed.
    var conjuncts: [Syntax] {
        if case .binary(.and, let left, let right) = kind { return left.conjuncts + right.conjuncts }
        return [self]
    }
}
