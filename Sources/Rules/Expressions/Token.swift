/// One lexical token of an expression, with its place in the source as Unicode scalar offsets.
struct Token: Sendable, Equatable {
    /// What kind of token this is, with its payload.
    enum Kind: Sendable, Equatable {
        case number(Double)
        case duration(Double)
        case string(String)
        case identifier(String)
        /// Punctuation and operators: `( ) [ ] , . == != < <= > >= && || ! + - |` and the template's `}}`.
        case symbol(String)
        case end
    }

    let kind: Kind
    let start: Int
    let end: Int

    /// Whether this is the symbol or keyword `text`.
    func isSymbol(_ text: String) -> Bool {
        switch kind {
        case .symbol(let symbol): symbol == text
        case .identifier(let name): name == text
        default: false
        }
    }
}

/// A problem in an expression or template, at a scalar offset inside its source.
struct ExpressionError: Error, Sendable, Equatable {
    let offset: Int
    let message: String
}

/// Splits expression text into tokens on demand, starting at any offset (templates lex from each `{{`).
struct Lexer {
    let source: [Unicode.Scalar]
    private(set) var position: Int

    init(_ source: [Unicode.Scalar], at position: Int = 0) {
        self.source = source
        self.position = position
    }

    private static let twoCharacterSymbols: Set<String> = ["==", "!=", "<=", ">=", "&&", "||", "}}"]
    private static let oneCharacterSymbols: Set<Unicode.Scalar> = [
        "(", ")", "[", "]", ",", ".", "<", ">", "!", "+", "-", "|",
    ]

    /// The next token, or an error at the character that starts no token.
    mutating func next() throws(ExpressionError) -> Token {
        while position < source.count, source[position].properties.isWhitespace { position += 1 }
        let start = position
        guard position < source.count else { return Token(kind: .end, start: start, end: start) }
        let scalar = source[position]
        if scalar.isASCIIDigit { return try number() }
        if scalar == "\"" || scalar == "'" { return try string(quote: scalar) }
        if scalar.isIdentifierStart {
            while position < source.count, source[position].isIdentifierPart { position += 1 }
            let name = String(String.UnicodeScalarView(source[start..<position]))
            return Token(kind: .identifier(name), start: start, end: position)
        }
        if position + 1 < source.count {
            let pair = String(String.UnicodeScalarView([scalar, source[position + 1]]))
            if Self.twoCharacterSymbols.contains(pair) {
                position += 2
                return Token(kind: .symbol(pair), start: start, end: position)
            }
        }
        if Self.oneCharacterSymbols.contains(scalar) {
            position += 1
            return Token(kind: .symbol(String(scalar)), start: start, end: position)
        }
        if scalar == "=" { throw ExpressionError(offset: start, message: "'=' is not an operator; compare with '=='") }
        throw ExpressionError(offset: start, message: "unexpected character '\(scalar)'")
    }

    /// A number, or a duration when unit letters follow (`90s`, `1h30m`, `1.5d`).
    private mutating func number() throws(ExpressionError) -> Token {
        let start = position
        while position < source.count,
            source[position].isASCIIDigit || source[position] == "." || source[position].isIdentifierPart
        {
            position += 1
        }
        let text = String(String.UnicodeScalarView(source[start..<position]))
        if let value = Double(text) { return Token(kind: .number(value), start: start, end: position) }
        if let seconds = Durations.parse(text) { return Token(kind: .duration(seconds), start: start, end: position) }
        throw ExpressionError(
            offset: start, message: "'\(text)' is neither a number nor a duration (write 90s, 30m, 2h, 1d or 1h30m)")
    }

    /// A quoted string with `\"`, `\'`, `\\`, `\n` and `\t` escapes.
    private mutating func string(quote: Unicode.Scalar) throws(ExpressionError) -> Token {
        let start = position
        position += 1
        var text = String.UnicodeScalarView()
        while position < source.count, source[position] != quote {
            var scalar = source[position]
            if scalar == "\\", position + 1 < source.count {
                position += 1
                switch source[position] {
                case "n": scalar = "\n"
                case "t": scalar = "\t"
                default: scalar = source[position]
                }
            }
            text.append(scalar)
            position += 1
        }
        guard position < source.count else { throw ExpressionError(offset: start, message: "string is not closed") }
        position += 1
        return Token(kind: .string(String(text)), start: start, end: position)
    }
}

extension Unicode.Scalar {
    var isASCIIDigit: Bool { ("0"..."9").contains(self) }
    var isIdentifierStart: Bool { properties.isAlphabetic || self == "_" }
    var isIdentifierPart: Bool { isIdentifierStart || isASCIIDigit }
}
