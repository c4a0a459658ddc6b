/// A JSON object that keeps its members in the order they were received or added.
///
/// Members are kept in one array and found by a linear search: the objects of a push have a few dozen members,
/// and building a hash table for each one cost more than every lookup it saved. A repeated name in parsed
/// input is kept as received; lookups see its last value, as most JSON readers do.
public struct JSONObject: Sendable, Hashable, Sequence {
    /// The members in order.
    public private(set) var members: [Member] = []

    /// One name and its value.
    public struct Member: Sendable, Hashable {
        public var key: String
        public var value: JSONValue
    }

    public init() {}

    /// An object of `members` as they are, repeated names included (the parser's way in).
    init(members: [Member]) { self.members = members }

    /// Member names in order.
    public var keys: [String] { members.map(\.key) }
    public var count: Int { members.count }
    public var isEmpty: Bool { members.isEmpty }

    /// The member `key`; setting nil removes it, setting a value keeps the member's place or appends it.
    public subscript(key: String) -> JSONValue? {
        get { index(of: key).map { members[$0].value } }
        set {
            if let newValue {
                if let index = index(of: key) { members[index].value = newValue } else { append(key, newValue) }
            } else {
                members.removeAll { $0.key == key }
            }
        }
    }

    /// Appends a member without looking for an earlier one of the same name (the parser's fast path).
    mutating func append(_ key: String, _ value: JSONValue) {
        members.append(Member(key: key, value: value))
    }

    private func index(of key: String) -> Int? { members.lastIndex { $0.key == key } }

    public func makeIterator() -> AnyIterator<(key: String, value: JSONValue)> {
        var iterator = members.makeIterator()
        return AnyIterator { iterator.next().map { ($0.key, $0.value) } }
    }

    /// Objects are equal when they hold the same names with equal values, in any order; for a repeated name
    /// the value that counts is the one lookups see, the last.
    public static func == (lhs: JSONObject, rhs: JSONObject) -> Bool {
        let names = Set(lhs.members.map(\.key))
        guard names == Set(rhs.members.map(\.key)) else { return false }
        return names.allSatisfy { lhs[$0] == rhs[$0] }
    }

    public func hash(into hasher: inout Hasher) {
        // Order-independent and last-value-wins, to agree with ==: a sum of each name's own hash with its value.
        var effective: [String: JSONValue] = [:]
        for member in members { effective[member.key] = member.value }
        var sum = 0
        for (key, value) in effective { sum &+= Member(key: key, value: value).hashValue }
        hasher.combine(effective.count)
        hasher.combine(sum)
    }
}
