/// A value an expression reads from the event: resolved once per event into a slot of the evaluation context.
public enum Reference: Sendable, Hashable, CustomStringConvertible {
    /// A step of a `body.` path: a member name or a list index.
    public enum Step: Sendable, Hashable {
        case key(String)
        case index(Int)
    }

    /// `order.<field>`, typed by the OrderInfo table.
    case order(String)
    /// `fields["name"]`: a decoded custom field.
    case field(String)
    case eventID
    case eventAction
    case eventEvent
    /// `body.<path>`: raw JSON of the envelope body.
    case body([Step])
    case account
    case userID

    public var description: String {
        switch self {
        case .order(let name): "order.\(name)"
        case .field(let name): "fields[\"\(name)\"]"
        case .eventID: "event.id"
        case .eventAction: "event.action"
        case .eventEvent: "event.event"
        case .account: "account"
        case .userID: "user_id"
        case .body(let steps):
            steps.reduce("body") { text, step in
                switch step {
                case .key(let key): "\(text).\(key)"
                case .index(let index): "\(text)[\(index)]"
                }
            }
        }
    }
}

/// The slots of every reference the loaded rules use, so a context resolves each one once per event.
/// Built while rules load (single-threaded), then frozen inside the immutable `RuleSet`.
public struct SlotTable: Sendable {
    /// The references in slot order.
    public private(set) var references: [Reference] = []
    private var slots: [Reference: Int] = [:]

    /// An empty table.
    public init() {}

    /// The slot of `reference`, adding it when new.
    mutating func slot(for reference: Reference) -> Int {
        if let slot = slots[reference] { return slot }
        references.append(reference)
        slots[reference] = references.count - 1
        return references.count - 1
    }
}

/// What one evaluation reads: the resolved slot values of one event, `now` and the shop's zone.
public struct EvaluationContext: Sendable {
    /// Slot values in the order of the table's references.
    public let values: [Value]
    /// The time the plan is made for, in seconds since 1970.
    public let now: Double
    public let zone: ZoneMath

    /// A context resolving every reference of `table` through `resolve` once.
    public init(table: SlotTable, now: Double, zone: ZoneMath, resolve: (Reference) -> Value) {
        values = table.references.map(resolve)
        self.now = now
        self.zone = zone
    }
}
