/// Parses tokens into `Syntax`: `||` < `&&` < `!` < comparisons < `+ -` < unary `-` < postfix < primary.
struct Parser {
    private var lexer: Lexer
    private(set) var current: Token

    /// A parser positioned at `offset` of `source`.
    init(_ source: [Unicode.Scalar], at offset: Int = 0) throws(ExpressionError) {
        lexer = Lexer(source, at: offset)
        current = try lexer.next()
    }

    /// Parses a whole expression source.
    static func parse(_ text: String) throws(ExpressionError) -> Syntax {
        var parser = try Parser(Array(text.unicodeScalars))
        let syntax = try parser.expression()
        guard case .end = parser.current.kind else { throw parser.unexpected("end of the expression") }
        return syntax
    }

    mutating func advance() throws(ExpressionError) { current = try lexer.next() }

    func unexpected(_ wanted: String) -> ExpressionError {
        let found: String
        switch current.kind {
        case .end: found = "the end"
        case .symbol(let text), .identifier(let text): found = "'\(text)'"
        case .string: found = "a string"
        case .number, .duration: found = "a number"
        }
        return ExpressionError(offset: current.start, message: "expected \(wanted), found \(found)")
    }

    mutating func expect(_ symbol: String) throws(ExpressionError) {
        guard current.isSymbol(symbol) else { throw unexpected("'\(symbol)'") }
        try advance()
    }

    /// Parses one expression, stopping before a token that cannot continue it.
    mutating func expression() throws(ExpressionError) -> Syntax {
        var left = try conjunction()
        while current.isSymbol("||") || current.isSymbol("or") {
            let focus = current.start
            try advance()
            let right = try conjunction()
            left = Syntax(.binary(.or, left, right), start: left.start, end: right.end, focus: focus)
        }
        return left
    }

    private mutating func conjunction() throws(ExpressionError) -> Syntax {
        var left = try negation()
        while current.isSymbol("&&") || current.isSymbol("and") {
            let focus = current.start
            try advance()
            let right = try negation()
            left = Syntax(.binary(.and, left, right), start: left.start, end: right.end, focus: focus)
        }
        return left
    }

    private mutating func negation() throws(ExpressionError) -> Syntax {
        guard current.isSymbol("!") || current.isSymbol("not") else { return try comparison() }
        let start = current.start
        try advance()
        let operand = try negation()
        return Syntax(.not(operand), start: start, end: operand.end)
    }

    private mutating func comparisonOperator() throws(ExpressionError) -> Syntax.BinaryOperator? {
        if case .symbol(let text) = current.kind, let op = Syntax.BinaryOperator(rawValue: text),
            ["==", "!=", "<", "<=", ">", ">="].contains(text)
        {
            return op
        }
        guard case .identifier(let word) = current.kind else { return nil }
        if word == "not" {
            try advance()
            guard current.isSymbol("in") else { throw unexpected("'in' after 'not'") }
            return .notIn
        }
        let op = Syntax.BinaryOperator(rawValue: word)
        return [.isIn, .contains, .startsWith, .endsWith, .matches].contains(op) ? op : nil
    }

    private mutating func comparison() throws(ExpressionError) -> Syntax {
        let left = try additive()
        let focus = current.start
        guard let op = try comparisonOperator() else { return left }
        try advance()
        let right = try additive()
        return Syntax(.binary(op, left, right), start: left.start, end: right.end, focus: focus)
    }

    private mutating func additive() throws(ExpressionError) -> Syntax {
        var left = try unary()
        while current.isSymbol("+") || current.isSymbol("-") {
            let op: Syntax.BinaryOperator = current.isSymbol("+") ? .plus : .minus
            let focus = current.start
            try advance()
            let right = try unary()
            left = Syntax(.binary(op, left, right), start: left.start, end: right.end, focus: focus)
        }
        return left
    }

    private mutating func unary() throws(ExpressionError) -> Syntax {
        guard current.isSymbol("-") else { return try postfix() }
        let start = current.start
        try advance()
        let operand = try unary()
        return Syntax(.negate(operand), start: start, end: operand.end)
    }

    private mutating func postfix() throws(ExpressionError) -> Syntax {
        var node = try primary()
        while true {
            if current.isSymbol(".") {
                try advance()
                guard case .identifier(let name) = current.kind else { throw unexpected("a name after '.'") }
                node = Syntax(.member(node, name), start: node.start, end: current.end, focus: current.start)
                try advance()
            } else if current.isSymbol("[") {
                let focus = current.start
                try advance()
                let index = try expression()
                let end = current.end
                try expect("]")
                node = Syntax(.index(node, index), start: node.start, end: end, focus: focus)
            } else {
                return node
            }
        }
    }

    private mutating func primary() throws(ExpressionError) -> Syntax {
        let token = current
        switch token.kind {
        case .number(let value):
            try advance()
            return Syntax(.literal(.number(value)), start: token.start, end: token.end)
        case .duration(let seconds):
            try advance()
            return Syntax(.literal(.duration(seconds)), start: token.start, end: token.end)
        case .string(let text):
            try advance()
            return Syntax(.literal(.string(text)), start: token.start, end: token.end)
        case .identifier(let name):
            try advance()
            switch name {
            case "true", "false":
                return Syntax(.literal(.bool(name == "true")), start: token.start, end: token.end)
            case "null": return Syntax(.literal(.null), start: token.start, end: token.end)
            default: break
            }
            guard current.isSymbol("(") else { return Syntax(.name(name), start: token.start, end: token.end) }
            let arguments = try list(closing: ")")
            return Syntax(.call(name, arguments.items), start: token.start, end: arguments.end)
        case .symbol("("):
            try advance()
            let inner = try expression()
            try expect(")")
            return inner
        case .symbol("["):
            let items = try list(closing: "]")
            return Syntax(.list(items.items), start: token.start, end: items.end)
        default:
            throw unexpected("a value")
        }
    }

    /// Parses `( a, b )` or `[ a, b ]` from the opening symbol on.
    private mutating func list(closing: String) throws(ExpressionError) -> (items: [Syntax], end: Int) {
        try advance()
        var items: [Syntax] = []
        while !current.isSymbol(closing) {
            items.append(try expression())
            guard current.isSymbol(",") else { break }
            try advance()
        }
        let end = current.end
        try expect(closing)
        return (items, end)
    }
}
