/// A notification text with `{{ expression | filter … }}` parts, parsed and checked once when rules load.
public struct Template: Sendable {
    /// A literal run or an inserted value.
    enum Piece: Sendable {
        case text(String)
        case value(Expr, [Filter])
    }

    /// The filters a value may pass through.
    enum Filter: Sendable {
        case date(DatePattern)
        case mask
        case defaultText(String)
        case upper
        case lower
        case truncate(Int)
    }

    static let filterNames = ["date", "mask", "default", "upper", "lower", "truncate"]

    /// The template as written.
    public let source: String
    let pieces: [Piece]

    /// Whether the template inserts nothing, so it renders to its source.
    public var isConstant: Bool { pieces.allSatisfy { if case .text = $0 { true } else { false } } }

    /// Parses and checks `source`, adding its references to `slots`.
    static func compile(
        _ source: String, orderFields: [String: ValueType], slots: inout SlotTable
    ) throws(ExpressionError) -> Template {
        let scalars = Array(source.unicodeScalars)
        var pieces: [Piece] = []
        var text = String.UnicodeScalarView()
        var index = 0
        while index < scalars.count {
            guard scalars[index] == "{", index + 1 < scalars.count, scalars[index + 1] == "{" else {
                text.append(scalars[index])
                index += 1
                continue
            }
            if !text.isEmpty { pieces.append(.text(String(text))) }
            text = String.UnicodeScalarView()
            let opening = index
            var parser = try Parser(scalars, at: index + 2)
            if case .end = parser.current.kind { throw unclosed(opening) }
            let syntax = try parser.expression()
            var checker = Checker(orderFields: orderFields, source: scalars, slots: slots)
            let checked = try checker.check(syntax)
            slots = checker.slots
            var filters: [Filter] = []
            while parser.current.isSymbol("|") {
                try parser.advance()
                filters.append(try filter(&parser, input: checked.type, checker: checker, syntax: syntax))
            }
            if case .end = parser.current.kind { throw unclosed(opening) }
            guard parser.current.isSymbol("}}") else { throw parser.unexpected("'}}' or '| filter'") }
            pieces.append(.value(checked.expr, filters))
            index = parser.current.end
        }
        if !text.isEmpty { pieces.append(.text(String(text))) }
        return Template(source: source, pieces: pieces)
    }

    private static func unclosed(_ offset: Int) -> ExpressionError {
        ExpressionError(offset: offset, message: "'{{' is not closed by '}}'")
    }

    private static func filter(
        _ parser: inout Parser, input: ValueType, checker: Checker, syntax: Syntax
    ) throws(ExpressionError) -> Filter {
        let token = parser.current
        guard case .identifier(let name) = token.kind else { throw parser.unexpected("a filter name") }
        try parser.advance()
        switch name {
        case "date":
            guard input.allows(.time) else {
                throw ExpressionError(
                    offset: token.start, message: "date needs a time, but \(checker.text(syntax)) is a \(input)")
            }
            let argument = parser.current
            guard case .string(let pattern) = argument.kind else { throw parser.unexpected("a quoted date pattern") }
            try parser.advance()
            do {
                return .date(try DatePattern.parse(pattern))
            } catch {
                throw ExpressionError(
                    offset: argument.start,
                    message: "unknown date field '\(error.run)' (use yyyy MM dd HH mm ss, M d H, E)")
            }
        case "default":
            guard case .string(let text) = parser.current.kind else { throw parser.unexpected("a quoted text") }
            try parser.advance()
            return .defaultText(text)
        case "truncate":
            guard case .number(let count) = parser.current.kind, count >= 1, count == count.rounded() else {
                throw parser.unexpected("a whole number of characters")
            }
            try parser.advance()
            return .truncate(Int(count))
        case "mask": return .mask
        case "upper": return .upper
        case "lower": return .lower
        default:
            throw ExpressionError(
                offset: token.start,
                message: "unknown filter '\(name)'"
                    + Suggestion.didYouMean(name, among: filterNames, orList: "filters"))
        }
    }

    /// The text with every value inserted and filtered.
    public func render(_ context: EvaluationContext) -> String {
        var out = ""
        for piece in pieces {
            switch piece {
            case .text(let text): out += text
            case .value(let expr, let filters):
                var value = expr.evaluate(context)
                for filter in filters { value = filter.apply(value, context.zone) }
                out += value.display(context.zone)
            }
        }
        return out
    }
}

extension Template.Filter {
    /// The filtered value; text filters work on the value's display text.
    func apply(_ value: Value, _ zone: ZoneMath) -> Value {
        switch self {
        case .date(let pattern):
            switch value {
            case .time(let t): return .string(zone.format(t, pattern: pattern))
            case .string(let text): return zone.parse(text).map { .string(zone.format($0, pattern: pattern)) } ?? value
            default: return value
            }
        case .defaultText(let text): return value.isAbsent ? .string(text) : value
        case .upper: return .string(value.display(zone).uppercased())
        case .lower: return .string(value.display(zone).lowercased())
        case .truncate(let count):
            let text = value.display(zone)
            return .string(text.count <= count ? text : String(text.prefix(count)) + "…")
        case .mask: return .string(Self.mask(value.display(zone)))
        }
    }

    /// `13812341234` → `138****1234`; shorter text keeps its last two characters; platform-hidden stays.
    static func mask(_ text: String) -> String {
        if text.hasPrefix("_hidden_") || text.isEmpty { return text }
        let characters = Array(text)
        if characters.count >= 7 {
            return String(characters.prefix(3)) + "****" + String(characters.suffix(4))
        }
        return String(repeating: "*", count: max(0, characters.count - 2)) + String(characters.suffix(2))
    }
}
