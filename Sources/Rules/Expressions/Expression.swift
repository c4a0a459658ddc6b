/// A checked, compiled expression with its source, ready to evaluate many times.
public struct Expression: Sendable {
    /// The text as written in the rule.
    public let source: String
    /// The type the checker found.
    public let type: ValueType
    let expr: Expr
    /// For a top-level `a && b && c`: each part's source and tree, to say which part was false.
    let conjuncts: [(source: String, expr: Expr, references: [Int])]

    /// Parses and checks `source`, adding the references it reads to `slots`.
    static func compile(
        _ source: String, orderFields: [String: ValueType], slots: inout SlotTable
    ) throws(ExpressionError) -> Expression {
        let syntax = try Parser.parse(source)
        var checker = Checker(orderFields: orderFields, source: Array(source.unicodeScalars), slots: slots)
        let whole = try checker.check(syntax)
        var parts: [(source: String, expr: Expr, references: [Int])] = []
        for conjunct in syntax.conjuncts {
            let compiled = try checker.check(conjunct)
            parts.append((checker.text(conjunct), compiled.expr, compiled.expr.slotsRead))
        }
        slots = checker.slots
        return Expression(source: source, type: whole.type, expr: whole.expr, conjuncts: parts)
    }

    /// The value in `context`.
    public func evaluate(_ context: EvaluationContext) -> Value { expr.evaluate(context) }

    /// Why the expression is not true in `context`: the first false part with the values it read.
    public func explainFalse(_ context: EvaluationContext, table: SlotTable) -> String {
        for part in conjuncts where !part.expr.evaluate(context).isTrue {
            let seen = part.references.map { "\(table.references[$0]) = \(context.values[$0].quoted(context.zone))" }
            return seen.isEmpty
                ? "\(part.source) is false" : "\(part.source) is false (\(seen.joined(separator: ", ")))"
        }
        return "\(source) is false"
    }
}

extension Expr {
    /// The context slots this tree reads, in order of first use.
    var slotsRead: [Int] {
        var found: [Int] = []
        collectSlots(into: &found)
        return found
    }

    private func collectSlots(into found: inout [Int]) {
        switch self {
        case .slot(let index): if !found.contains(index) { found.append(index) }
        case .constant, .now: break
        case .list(let items): items.forEach { $0.collectSlots(into: &found) }
        case .not(let a), .isNull(let a, _), .matches(let a, _), .negate(let a), .function(_, let a), .has(let a):
            a.collectSlots(into: &found)
        case .and(let a, let b), .or(let a, let b), .compare(_, let a, let b), .isIn(let a, let b, _),
            .contains(let a, let b), .stringTest(_, let a, let b), .add(let a, let b), .subtract(let a, let b):
            a.collectSlots(into: &found)
            b.collectSlots(into: &found)
        }
    }
}
