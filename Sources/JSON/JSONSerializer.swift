extension JSONValue {
    /// Compact JSON text; object members keep their order, and numbers their exact digits.
    public func serialized() -> String {
        String(decoding: serializedBytes(), as: UTF8.self)
    }

    /// Compact JSON as UTF-8 bytes.
    ///
    /// The text is measured first and then written into an array of exactly that size: appending piece by
    /// piece to a growing array spent more on the appends than on the text (a push's event took 10.7 µs).
    public func serializedBytes() -> [UInt8] {
        let count = encodedCount
        return [UInt8](unsafeUninitializedCapacity: count) { buffer, initialized in
            guard let base = buffer.baseAddress else { return }
            var cursor = base
            emit(at: &cursor)
            // The measure and the writing share their rules; a difference would be a bug in this file.
            precondition(cursor - base == count, "JSON measured at \(count) bytes, written as \(cursor - base)")
            initialized = count
        }
    }

    /// Appends the compact JSON of this value to `out`.
    public func write(into out: inout [UInt8]) {
        Self.append(encodedCount, to: &out) { emit(at: &$0) }
    }

    /// Appends `text` as a quoted JSON string; every control character is escaped, so a value can never
    /// break the structure it is placed in.
    public static func writeString(_ text: String, into out: inout [UInt8]) {
        append(quotedCount(text), to: &out) { emitQuoted(text, at: &$0) }
    }

    /// Grows `out` by `count` bytes and lets `write` fill them, in place rather than through an array of their own.
    private static func append(
        _ count: Int, to out: inout [UInt8], _ write: (inout UnsafeMutablePointer<UInt8>) -> Void
    ) {
        let start = out.count
        out.append(contentsOf: repeatElement(0, count: count))
        out.withUnsafeMutableBufferPointer { buffer in
            guard let base = buffer.baseAddress else { return }
            var cursor = base + start
            write(&cursor)
            precondition(cursor - base == start + count, "JSON measured at \(count) bytes, written otherwise")
        }
    }

    /// The length of this value's compact JSON in bytes.
    private var encodedCount: Int {
        switch self {
        case .null: return 4
        case .bool(let flag): return flag ? 4 : 5
        case .number(let text): return text.utf8.count
        case .string(let text): return Self.quotedCount(text)
        case .array(let items):
            var count = 2 + max(items.count - 1, 0)
            for item in items { count += item.encodedCount }
            return count
        case .object(let object):
            var count = 2 + max(object.members.count - 1, 0)
            for member in object.members { count += Self.quotedCount(member.key) + 1 + member.value.encodedCount }
            return count
        }
    }

    /// Writes this value's compact JSON at `cursor` and moves it past.
    private func emit(at cursor: inout UnsafeMutablePointer<UInt8>) {
        switch self {
        case .null: Self.put("null", at: &cursor)
        case .bool(let flag): Self.put(flag ? "true" : "false", at: &cursor)
        case .number(let text): Self.withBytes(of: text) { Self.copy($0, to: &cursor) }
        case .string(let text): Self.emitQuoted(text, at: &cursor)
        case .array(let items):
            Self.put(UInt8(ascii: "["), at: &cursor)
            for (position, item) in items.enumerated() {
                if position > 0 { Self.put(UInt8(ascii: ","), at: &cursor) }
                item.emit(at: &cursor)
            }
            Self.put(UInt8(ascii: "]"), at: &cursor)
        case .object(let object):
            Self.put(UInt8(ascii: "{"), at: &cursor)
            for (position, member) in object.members.enumerated() {
                if position > 0 { Self.put(UInt8(ascii: ","), at: &cursor) }
                Self.emitQuoted(member.key, at: &cursor)
                Self.put(UInt8(ascii: ":"), at: &cursor)
                member.value.emit(at: &cursor)
            }
            Self.put(UInt8(ascii: "}"), at: &cursor)
        }
    }

    /// How many bytes the escape of `byte` adds to it in a JSON string: 0 for a byte written as itself, 1 for
    /// `\"`, `\\`, `\n`, `\r` and `\t`, 5 for the other control characters (`\u0001`).
    private static func escapeExtra(_ byte: UInt8) -> Int {
        if byte >= 0x20 && byte != UInt8(ascii: "\"") && byte != UInt8(ascii: "\\") { return 0 }
        switch byte {
        case UInt8(ascii: "\""), UInt8(ascii: "\\"), 0x0A, 0x0D, 0x09: return 1
        default: return 5
        }
    }

    /// The length of `text` quoted and escaped.
    private static func quotedCount(_ text: String) -> Int {
        withBytes(of: text) { bytes in
            var count = 2 + bytes.count
            var index = nextSpecial(in: bytes, from: 0)
            while index < bytes.count {
                count += escapeExtra(bytes[index])
                index = nextSpecial(in: bytes, from: index + 1)
            }
            return count
        }
    }

    /// Writes `text` quoted and escaped; bytes that need no escape are copied in runs.
    private static func emitQuoted(_ text: String, at cursor: inout UnsafeMutablePointer<UInt8>) {
        put(UInt8(ascii: "\""), at: &cursor)
        withBytes(of: text) { bytes in
            var runStart = 0
            var index = nextSpecial(in: bytes, from: 0)
            while index < bytes.count {
                copy(UnsafeBufferPointer(rebasing: bytes[runStart..<index]), to: &cursor)
                emitEscape(bytes[index], at: &cursor)
                runStart = index + 1
                index = nextSpecial(in: bytes, from: runStart)
            }
            copy(UnsafeBufferPointer(rebasing: bytes[runStart..<bytes.count]), to: &cursor)
        }
        put(UInt8(ascii: "\""), at: &cursor)
    }

    private static func emitEscape(_ byte: UInt8, at cursor: inout UnsafeMutablePointer<UInt8>) {
        let hex: StaticString = "0123456789abcdef"
        put(UInt8(ascii: "\\"), at: &cursor)
        switch byte {
        case UInt8(ascii: "\""), UInt8(ascii: "\\"): put(byte, at: &cursor)
        case 0x0A: put(UInt8(ascii: "n"), at: &cursor)
        case 0x0D: put(UInt8(ascii: "r"), at: &cursor)
        case 0x09: put(UInt8(ascii: "t"), at: &cursor)
        default:
            put("u00", at: &cursor)
            put(hex.utf8Start[Int(byte >> 4)], at: &cursor)
            put(hex.utf8Start[Int(byte & 0x0F)], at: &cursor)
        }
    }

    /// The index of the first byte at or after `from` that a JSON string must escape (a quote, a backslash or a
    /// control character), or the count when there is none. Eight bytes are tested at a time, as the parser does.
    private static func nextSpecial(in bytes: UnsafeBufferPointer<UInt8>, from: Int) -> Int {
        guard let base = bytes.baseAddress else { return from }
        let count = bytes.count
        var index = from
        while index + 8 <= count {
            let word = UInt64(littleEndian: UnsafeRawPointer(base + index).loadUnaligned(as: UInt64.self))
            let special = stringSpecialBytes(word)
            if special != 0 { return index + special.trailingZeroBitCount / 8 }
            index += 8
        }
        while index < count, escapeExtra(base[index]) == 0 { index += 1 }
        return index
    }

    /// Calls `body` with the UTF-8 bytes of `text`, without copying a native string.
    private static func withBytes<R>(of text: String, _ body: (UnsafeBufferPointer<UInt8>) -> R) -> R {
        if let result = text.utf8.withContiguousStorageIfAvailable(body) { return result }
        var copy = text
        return copy.withUTF8(body)
    }

    private static func put(_ byte: UInt8, at cursor: inout UnsafeMutablePointer<UInt8>) {
        cursor.pointee = byte
        cursor += 1
    }

    private static func put(_ text: StaticString, at cursor: inout UnsafeMutablePointer<UInt8>) {
        copy(UnsafeBufferPointer(start: text.utf8Start, count: text.utf8CodeUnitCount), to: &cursor)
    }

    private static func copy(_ bytes: UnsafeBufferPointer<UInt8>, to cursor: inout UnsafeMutablePointer<UInt8>) {
        guard let source = bytes.baseAddress, !bytes.isEmpty else { return }
        cursor.initialize(from: source, count: bytes.count)
        cursor += bytes.count
    }
}
