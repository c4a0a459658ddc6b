#if canImport(Glibc)
    import Glibc
#endif

/// Why a text is not JSON, and where.
public struct JSONError: Error, Sendable, Equatable, CustomStringConvertible {
    /// Byte offset in the input where the problem was found.
    public let offset: Int
    public let message: String

    public var description: String { "invalid JSON at byte \(offset): \(message)" }
}

extension JSONValue {
    /// The deepest nesting of arrays and objects accepted; deeper input is an error, not a stack overflow.
    public static let maximumDepth = 64

    /// Parses one JSON value from UTF-8 bytes; trailing white space is allowed, anything else is an error.
    public static func parse(_ bytes: some Collection<UInt8>) throws(JSONError) -> JSONValue {
        try parse(Array(bytes))
    }

    /// Parses one JSON value from a byte array. Callers in other modules reach this concrete form directly; the
    /// generic one above would look up type metadata at run time on every call.
    public static func parse(_ bytes: [UInt8]) throws(JSONError) -> JSONValue {
        try bytes.withUnsafeBufferPointer { (buffer) throws(JSONError) -> JSONValue in
            var parser = JSONParser(bytes: buffer)
            return try parser.parseDocument()
        }
    }

    /// Parses one JSON value from text.
    public static func parse(_ text: String) throws(JSONError) -> JSONValue {
        try parse(Array(text.utf8))
    }
}

private struct JSONParser {
    let bytes: UnsafeBufferPointer<UInt8>
    var index = 0
    var depth = 0
    /// A string with escapes is put together here, allocated at the first one and kept for the rest of the input.
    let unescaped = ByteBuffer()
    /// The members of the objects being parsed, innermost last, and the items of the arrays; each object or
    /// array is moved out at its end into an array of its final size, instead of growing through the powers of
    /// two on its own.
    let members = MoveStack<JSONObject.Member>()
    let items = MoveStack<JSONValue>()

    init(bytes: UnsafeBufferPointer<UInt8>) { self.bytes = bytes }

    mutating func parseDocument() throws(JSONError) -> JSONValue {
        skipSpace()
        let value = try parseValue()
        skipSpace()
        guard index == bytes.count else { throw fail("unexpected data after the value") }
        return value
    }

    func fail(_ message: String) -> JSONError { JSONError(offset: index, message: message) }

    mutating func skipSpace() {
        while index < bytes.count {
            switch bytes[index] {
            case 0x20, 0x09, 0x0A, 0x0D: index += 1
            default: return
            }
        }
    }

    mutating func parseValue() throws(JSONError) -> JSONValue {
        guard index < bytes.count else { throw fail("unexpected end of input") }
        switch bytes[index] {
        case UInt8(ascii: "{"): return try parseObject()
        case UInt8(ascii: "["): return try parseArray()
        case UInt8(ascii: "\""): return .string(try parseString())
        case UInt8(ascii: "t"): return try parseWord("true", .bool(true))
        case UInt8(ascii: "f"): return try parseWord("false", .bool(false))
        case UInt8(ascii: "n"): return try parseWord("null", .null)
        case UInt8(ascii: "-"), UInt8(ascii: "0")...UInt8(ascii: "9"): return try parseNumber()
        default: throw fail("unexpected character")
        }
    }

    mutating func parseWord(_ word: StaticString, _ value: JSONValue) throws(JSONError) -> JSONValue {
        let count = word.utf8CodeUnitCount
        guard index + count <= bytes.count else { throw fail("unexpected end of input") }
        for offset in 0..<count where bytes[index + offset] != word.utf8Start[offset] {
            throw fail("unexpected character")
        }
        index += count
        return value
    }

    mutating func enter() throws(JSONError) {
        depth += 1
        if depth > JSONValue.maximumDepth { throw fail("nested deeper than \(JSONValue.maximumDepth) levels") }
    }

    mutating func parseObject() throws(JSONError) -> JSONValue {
        try enter()
        index += 1
        skipSpace()
        if index < bytes.count, bytes[index] == UInt8(ascii: "}") {
            index += 1
            depth -= 1
            return .object(JSONObject())
        }
        let first = members.count
        while true {
            skipSpace()
            guard index < bytes.count, bytes[index] == UInt8(ascii: "\"") else { throw fail("expected a member name") }
            let key = try parseString()
            skipSpace()
            guard index < bytes.count, bytes[index] == UInt8(ascii: ":") else { throw fail("expected ':'") }
            index += 1
            skipSpace()
            let value = try parseValue()
            members.push(JSONObject.Member(key: key, value: value))
            skipSpace()
            guard index < bytes.count else { throw fail("unexpected end of input") }
            if bytes[index] == UInt8(ascii: ",") {
                index += 1
                continue
            }
            guard bytes[index] == UInt8(ascii: "}") else { throw fail("expected ',' or '}'") }
            index += 1
            depth -= 1
            return .object(JSONObject(members: members.pop(from: first)))
        }
    }

    mutating func parseArray() throws(JSONError) -> JSONValue {
        try enter()
        index += 1
        skipSpace()
        if index < bytes.count, bytes[index] == UInt8(ascii: "]") {
            index += 1
            depth -= 1
            return .array([])
        }
        let first = items.count
        while true {
            skipSpace()
            let item = try parseValue()
            items.push(item)
            skipSpace()
            guard index < bytes.count else { throw fail("unexpected end of input") }
            if bytes[index] == UInt8(ascii: ",") {
                index += 1
                continue
            }
            guard bytes[index] == UInt8(ascii: "]") else { throw fail("expected ',' or ']'") }
            index += 1
            depth -= 1
            return .array(items.pop(from: first))
        }
    }

    mutating func parseNumber() throws(JSONError) -> JSONValue {
        let start = index
        if bytes[index] == UInt8(ascii: "-") { index += 1 }
        guard index < bytes.count, isDigit(bytes[index]) else { throw fail("expected a digit") }
        if bytes[index] == UInt8(ascii: "0") {
            index += 1
        } else {
            while index < bytes.count, isDigit(bytes[index]) { index += 1 }
        }
        if index < bytes.count, bytes[index] == UInt8(ascii: ".") {
            index += 1
            guard index < bytes.count, isDigit(bytes[index]) else { throw fail("expected a digit after '.'") }
            while index < bytes.count, isDigit(bytes[index]) { index += 1 }
        }
        if index < bytes.count, bytes[index] == UInt8(ascii: "e") || bytes[index] == UInt8(ascii: "E") {
            index += 1
            if index < bytes.count, bytes[index] == UInt8(ascii: "+") || bytes[index] == UInt8(ascii: "-") {
                index += 1
            }
            guard index < bytes.count, isDigit(bytes[index]) else { throw fail("expected a digit in the exponent") }
            while index < bytes.count, isDigit(bytes[index]) { index += 1 }
        }
        let text = String(decoding: UnsafeBufferPointer(rebasing: bytes[start..<index]), as: UTF8.self)
        return .number(text)
    }

    func isDigit(_ byte: UInt8) -> Bool { byte >= UInt8(ascii: "0") && byte <= UInt8(ascii: "9") }

    mutating func parseString() throws(JSONError) -> String {
        index += 1
        let start = index
        // Bytes that may be non-ASCII; an all-ASCII string needs no UTF-8 validation, which costs several times
        // the copy (the 3 kB base64 body of a push made string parsing a fifth of its CPU time).
        let (end, high) = Self.plainRun(bytes, from: index)
        index = end
        guard index < bytes.count else { throw fail("unterminated string") }
        let byte = bytes[index]
        if byte == UInt8(ascii: "\"") {
            index += 1
            return try makeString(UnsafeBufferPointer(rebasing: bytes[start..<end]), ascii: high < 0x80)
        }
        if byte < 0x20 { throw fail("control character in a string") }
        return try parseEscapedString(from: start, high: high)
    }

    /// The rest of a string whose first backslash is at `index`, its plain bytes before it starting at `from`.
    ///
    /// The platform sends JSON inside strings (`complete_value`), a backslash every few bytes: going back to the
    /// word-at-a-time scan after each escape, and appending each short run to an array, was a third of the
    /// parse. Here every byte is copied as it is read, into a buffer that the input's length bounds, since no
    /// escape is shorter than what it stands for.
    mutating func parseEscapedString(from start: Int, high: UInt8) throws(JSONError) -> String {
        let out = unescaped.base(capacity: bytes.count)
        var count = index - start
        if count > 0, let source = bytes.baseAddress { out.initialize(from: source + start, count: count) }
        var high = high
        while index < bytes.count {
            let byte = bytes[index]
            index += 1
            if byte == UInt8(ascii: "\"") {
                return try makeString(UnsafeBufferPointer(start: out, count: count), ascii: high < 0x80)
            }
            if byte == UInt8(ascii: "\\") {
                count += try parseEscape(into: out + count, high: &high)
                continue
            }
            if byte < 0x20 {
                index -= 1
                throw fail("control character in a string")
            }
            out[count] = byte
            count += 1
            high |= byte
        }
        throw fail("unterminated string")
    }

    /// The string of UTF-8 `bytes`; only non-ASCII bytes need validating.
    ///
    /// They are decoded with repairs, and the result compared with them: valid UTF-8 comes back byte for byte,
    /// and a repaired string differs, since it is valid and they were not. `String(validating:as:)` is generic
    /// over the encoding and looked two types' metadata up at run time for each string, about 1,300
    /// instructions; without it, parsing and freeing the fixture's push (Chinese names) takes 7 % fewer.
    func makeString(_ bytes: UnsafeBufferPointer<UInt8>, ascii: Bool) throws(JSONError) -> String {
        if ascii && bytes.count <= 15 {
            // A string this short is kept inline, and made in place without a second look at its bytes: most of
            // a push's names and values (String(decoding:) checked each again, then copied it a byte at a time).
            return String(unsafeUninitializedCapacity: bytes.count) { target in
                target.initialize(fromContentsOf: bytes)
            }
        }
        var text = String(decoding: bytes, as: UTF8.self)
        if ascii { return text }
        // Never empty: an empty string is ASCII.
        let same = text.withUTF8 { decoded in
            guard decoded.count == bytes.count, let left = decoded.baseAddress, let right = bytes.baseAddress
            else { return false }
            return memcmp(left, right, bytes.count) == 0
        }
        guard same else { throw fail("invalid UTF-8") }
        return text
    }

    /// The end of the run of plain string bytes starting at `from` (up to a quote, a backslash, a control
    /// character or the end of the input), and 0x80 when any of them is non-ASCII, else 0.
    ///
    /// Eight bytes are tested at a time, and the word holding the end gives its place (`stringSpecialBytes`):
    /// most strings of a push are shorter than sixteen bytes, so nearly every scan used to end byte by byte.
    static func plainRun(_ bytes: UnsafeBufferPointer<UInt8>, from: Int) -> (Int, UInt8) {
        guard let base = bytes.baseAddress else { return (from, 0) }
        let tops: UInt64 = 0x8080_8080_8080_8080
        let count = bytes.count
        var index = from
        var high: UInt64 = 0
        while index + 8 <= count {
            let word = UInt64(littleEndian: UnsafeRawPointer(base + index).loadUnaligned(as: UInt64.self))
            let special = stringSpecialBytes(word)
            if special != 0 {
                let plain = special.trailingZeroBitCount / 8
                high |= word & ((1 << (plain * 8)) &- 1)
                return (index + plain, high & tops == 0 ? 0 : 0x80)
            }
            high |= word
            index += 8
        }
        var seen: UInt8 = high & tops == 0 ? 0 : 0x80
        while index < count {
            let byte = base[index]
            if byte == UInt8(ascii: "\"") || byte == UInt8(ascii: "\\") || byte < 0x20 { break }
            seen |= byte & 0x80
            index += 1
        }
        return (index, seen)
    }

    /// Writes what the escape after a backslash stands for at `out`, and returns how many bytes that is (one to
    /// four); a non-ASCII one sets the high bit of `high`.
    mutating func parseEscape(into out: UnsafeMutablePointer<UInt8>, high: inout UInt8) throws(JSONError) -> Int {
        guard index < bytes.count else { throw fail("unterminated string") }
        let byte = bytes[index]
        index += 1
        switch byte {
        case UInt8(ascii: "\""), UInt8(ascii: "\\"), UInt8(ascii: "/"): out.pointee = byte
        case UInt8(ascii: "b"): out.pointee = 0x08
        case UInt8(ascii: "f"): out.pointee = 0x0C
        case UInt8(ascii: "n"): out.pointee = 0x0A
        case UInt8(ascii: "r"): out.pointee = 0x0D
        case UInt8(ascii: "t"): out.pointee = 0x09
        case UInt8(ascii: "u"):
            var scalar = try parseHex4()
            if (0xD800..<0xDC00).contains(scalar) {
                guard index + 1 < bytes.count, bytes[index] == UInt8(ascii: "\\"), bytes[index + 1] == UInt8(ascii: "u")
                else { throw fail("unpaired surrogate") }
                index += 2
                let low = try parseHex4()
                guard (0xDC00..<0xE000).contains(low) else { throw fail("unpaired surrogate") }
                scalar = 0x10000 + ((scalar - 0xD800) << 10) + (low - 0xDC00)
            } else if (0xDC00..<0xE000).contains(scalar) {
                throw fail("unpaired surrogate")
            }
            guard let unicode = Unicode.Scalar(scalar) else { throw fail("invalid \\u escape") }
            var written = 0
            for unit in UTF8.encode(unicode)! {
                out[written] = unit
                written += 1
            }
            if scalar >= 0x80 { high |= 0x80 }
            return written
        default:
            throw fail("invalid escape")
        }
        return 1
    }

    mutating func parseHex4() throws(JSONError) -> UInt32 {
        guard index + 4 <= bytes.count else { throw fail("unterminated \\u escape") }
        var value: UInt32 = 0
        for _ in 0..<4 {
            let byte = bytes[index]
            let digit: UInt8
            switch byte {
            case UInt8(ascii: "0")...UInt8(ascii: "9"): digit = byte - UInt8(ascii: "0")
            case UInt8(ascii: "a")...UInt8(ascii: "f"): digit = byte - UInt8(ascii: "a") + 10
            case UInt8(ascii: "A")...UInt8(ascii: "F"): digit = byte - UInt8(ascii: "A") + 10
            default: throw fail("invalid \\u escape")
            }
            value = value << 4 | UInt32(digit)
            index += 1
        }
        return value
    }
}

/// The high bit of each byte of `word` (read little-endian, its first byte lowest) that may be one a JSON string
/// cannot hold as it is: a quote, a backslash or a control character. The classic tests for a zero byte and for a
/// byte below a bound, applied to the word XORed with the quote and with the backslash. A borrow may flag bytes
/// after one that is special, never one before, so the lowest bit set is always the first special byte.
func stringSpecialBytes(_ word: UInt64) -> UInt64 {
    let ones: UInt64 = 0x0101_0101_0101_0101
    let tops: UInt64 = 0x8080_8080_8080_8080
    let quote = word ^ (ones &* 0x22)
    let slash = word ^ (ones &* 0x5C)
    let special = ((quote &- ones) & ~quote) | ((slash &- ones) & ~slash) | ((word &- ones &* 0x20) & ~word)
    return special & tops
}

/// Bytes owned by one parse, allocated at their first use with room for the whole input.
final class ByteBuffer {
    private var pointer: UnsafeMutablePointer<UInt8>?
    private var capacity = 0

    /// The buffer, with room for at least `capacity` bytes; what it held before may be gone.
    func base(capacity wanted: Int) -> UnsafeMutablePointer<UInt8> {
        if let pointer, capacity >= wanted { return pointer }
        pointer?.deallocate()
        let fresh = UnsafeMutablePointer<UInt8>.allocate(capacity: max(wanted, 1))
        pointer = fresh
        capacity = max(wanted, 1)
        return fresh
    }

    deinit { pointer?.deallocate() }
}

/// A stack whose top elements are moved out into an array in one go, without the copies (and reference count
/// traffic) of slicing an array and removing the slice.
final class MoveStack<Element> {
    private var base: UnsafeMutablePointer<Element>
    private var capacity: Int
    private(set) var count = 0

    init(capacity: Int = 64) {
        self.capacity = capacity
        base = .allocate(capacity: capacity)
    }

    deinit {
        base.deinitialize(count: count)
        base.deallocate()
    }

    func push(_ element: consuming Element) {
        if count == capacity {
            let grown = UnsafeMutablePointer<Element>.allocate(capacity: capacity * 2)
            grown.moveInitialize(from: base, count: count)
            base.deallocate()
            base = grown
            capacity *= 2
        }
        (base + count).initialize(to: element)
        count += 1
    }

    /// Moves the elements from index `first` to the top out, in order, leaving `first` elements.
    ///
    /// The array is made by `reserveCapacity`, whose code the compiler copies into this module and specializes:
    /// `Array(unsafeUninitializedCapacity:)` calls into the standard library, which looks the storage class of an
    /// array of `Element` up at run time, about 600 instructions for every object and array of a push.
    func pop(from first: Int) -> [Element] {
        var elements: [Element] = []
        elements.reserveCapacity(count - first)
        for index in first..<count { elements.append((base + index).move()) }
        count = first
        return elements
    }
}
