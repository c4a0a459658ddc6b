import Events
import Foundation
import JSON

/// Turns an event into the values expressions read: typed order fields, decoded custom fields, raw body paths.
enum EventValues {
    /// The static types of `order.<field>`, from the OrderInfo table.
    static let orderFieldTypes: [String: ValueType] = Appointment.fieldKinds.mapValues { kind in
        switch kind {
        case .string: .string
        case .integer: .number
        case .time: .time
        case .bool: .bool
        case .list: .list(.any)
        }
    }

    /// The value of `reference` in `event`.
    static func resolve(_ reference: Reference, in event: Event, clock: ShopClock) -> Value {
        switch reference {
        case .order(let name):
            guard let raw = event.appointment?.value(of: name) else { return .null }
            return typed(raw, as: orderFieldTypes[name] ?? .any, clock: clock)
        case .field(let name):
            return dynamic(event.appointment?.customField(named: name) ?? .null)
        case .eventID: return .string(event.envelope.id)
        case .eventAction: return .string(event.envelope.action)
        case .eventEvent: return .string(event.envelope.event)
        case .account: return event.account.map(Value.string) ?? .null
        case .userID: return event.userID.map(Value.string) ?? .null
        case .body(let steps):
            var node: JSONValue? = event.envelope.body
            for step in steps {
                switch step {
                case .key(let key): node = node?[key]
                case .index(let index): node = node?[index]
                }
            }
            return node.map(dynamic) ?? .null
        }
    }

    /// A documented order field read leniently: a value of the other type converts when it can, else is null.
    static func typed(_ raw: JSONValue, as type: ValueType, clock: ShopClock) -> Value {
        switch (type, raw) {
        case (_, .null): return .null
        case (.string, _): return raw.idText.map(Value.string) ?? .null
        case (.number, _):
            return raw.doubleValue.map(Value.number) ?? raw.stringValue.flatMap(Double.init).map(Value.number) ?? .null
        case (.time, .string(let text)):
            return clock.parse(text).map { .time($0.timeIntervalSince1970) } ?? .null
        case (.bool, .bool(let flag)): return .bool(flag)
        case (.bool, .string(let text)): return text == "true" ? .bool(true) : (text == "false" ? .bool(false) : .null)
        default: return dynamic(raw)
        }
    }

    /// A raw JSON value as the closest expression value; an object reads as its JSON text.
    static func dynamic(_ raw: JSONValue) -> Value {
        switch raw {
        case .null: .null
        case .bool(let flag): .bool(flag)
        case .number(let text): Double(text).map(Value.number) ?? .null
        case .string(let text): .string(text)
        case .array(let items): .list(items.map(dynamic))
        case .object: .string(raw.serialized())
        }
    }
}
