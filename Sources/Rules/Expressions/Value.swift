import Foundation

/// A value computed by an expression. Times are seconds since 1970; durations are seconds.
public enum Value: Sendable, Equatable {
    case null
    case bool(Bool)
    case number(Double)
    case string(String)
    case time(Double)
    case duration(Double)
    case list([Value])

    /// True only for `.bool(true)`: a condition that cannot be computed does not hold.
    @inlinable public var isTrue: Bool {
        if case .bool(true) = self { return true }
        return false
    }

    /// Whether the value counts as absent for `has` and `default`: null or the empty string.
    public var isAbsent: Bool {
        switch self {
        case .null: true
        case .string(let text): text.isEmpty
        default: false
        }
    }

    /// The static type this value has.
    public var type: ValueType {
        switch self {
        case .null: .null
        case .bool: .bool
        case .number: .number
        case .string: .string
        case .time: .time
        case .duration: .duration
        case .list: .list(.any)
        }
    }
}

/// The type of an expression as the checker knows it when rules load; `any` is a value only known per event.
public indirect enum ValueType: Sendable, Equatable, CustomStringConvertible {
    case null
    case bool
    case number
    case string
    case time
    case duration
    case list(ValueType)
    case any

    public var description: String {
        switch self {
        case .null: "null"
        case .bool: "bool"
        case .number: "number"
        case .string: "string"
        case .time: "time"
        case .duration: "duration"
        case .list(let element): element == .any ? "list" : "list of \(element)"
        case .any: "dynamic value"
        }
    }

    /// Whether a value of this type may be `other` at run time (`any` and null fit everything).
    func fits(_ other: ValueType) -> Bool {
        switch (self, other) {
        case (.any, _), (_, .any), (.null, _), (_, .null): true
        case (.list(let a), .list(let b)): a.fits(b)
        default: self == other
        }
    }

    /// Whether the value is, or may be, of this kind.
    func allows(_ kinds: ValueType...) -> Bool { self == .any || self == .null || kinds.contains(self) }
}
