import Foundation

/// A checked expression, compiled to a tree whose leaves read context slots; evaluation never re-parses.
indirect enum Expr: Sendable {
    /// The ordering and equality comparisons.
    enum Comparison: Sendable { case equal, notEqual, less, lessOrEqual, greater, greaterOrEqual }
    /// The string tests.
    enum StringTest: Sendable { case startsWith, endsWith }
    /// The built-in functions of one argument.
    enum Function: String, Sendable { case hour, minute, weekday, date, len }

    case constant(Value)
    case slot(Int)
    case now
    case list([Expr])
    case not(Expr)
    case and(Expr, Expr)
    case or(Expr, Expr)
    case isNull(Expr, negated: Bool)
    case compare(Comparison, Expr, Expr)
    case isIn(Expr, Expr, negated: Bool)
    case contains(Expr, Expr)
    case stringTest(StringTest, Expr, Expr)
    case matches(Expr, CompiledPattern)
    case add(Expr, Expr)
    case subtract(Expr, Expr)
    case negate(Expr)
    case function(Function, Expr)
    case has(Expr)

    /// Computes the value in `context`.
    func evaluate(_ context: EvaluationContext) -> Value {
        switch self {
        case .constant(let value): return value
        case .slot(let index): return context.values[index]
        case .now: return .time(context.now)
        case .list(let items): return .list(items.map { $0.evaluate(context) })
        case .not(let operand):
            guard case .bool(let flag) = operand.evaluate(context) else { return .bool(false) }
            return .bool(!flag)
        case .and(let left, let right):
            return .bool(left.evaluate(context).isTrue && right.evaluate(context).isTrue)
        case .or(let left, let right):
            return .bool(left.evaluate(context).isTrue || right.evaluate(context).isTrue)
        case .isNull(let operand, let negated):
            return .bool((operand.evaluate(context) == .null) != negated)
        case .compare(let op, let left, let right):
            return .bool(Self.compare(op, left.evaluate(context), right.evaluate(context)))
        case .isIn(let needle, let haystack, let negated):
            let value = needle.evaluate(context)
            guard value != .null, case .list(let items) = haystack.evaluate(context) else { return .bool(false) }
            return .bool(items.contains { Self.equal(value, $0) } != negated)
        case .contains(let haystack, let needle):
            return .bool(Self.contains(haystack.evaluate(context), needle.evaluate(context)))
        case .stringTest(let test, let left, let right):
            guard case .string(let text) = left.evaluate(context), case .string(let part) = right.evaluate(context)
            else { return .bool(false) }
            return .bool(test == .startsWith ? text.hasPrefix(part) : text.hasSuffix(part))
        case .matches(let operand, let pattern):
            guard case .string(let text) = operand.evaluate(context) else { return .bool(false) }
            return .bool(pattern.matches(text))
        case .add(let left, let right): return Self.add(left.evaluate(context), right.evaluate(context))
        case .subtract(let left, let right): return Self.subtract(left.evaluate(context), right.evaluate(context))
        case .negate(let operand):
            switch operand.evaluate(context) {
            case .number(let n): return .number(-n)
            case .duration(let d): return .duration(-d)
            default: return .null
            }
        case .function(let function, let argument):
            return Self.call(function, argument.evaluate(context), context.zone)
        case .has(let operand): return .bool(!operand.evaluate(context).isAbsent)
        }
    }
}

/// A regular expression compiled once when rules load.
struct CompiledPattern: @unchecked Sendable {
    // NSRegularExpression is immutable after creation and documented as safe to use from many threads.
    let regex: NSRegularExpression

    func matches(_ text: String) -> Bool {
        let range = NSRange(text.startIndex..<text.endIndex, in: text)
        return regex.firstMatch(in: text, range: range) != nil
    }
}
