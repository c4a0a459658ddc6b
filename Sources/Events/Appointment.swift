import Foundation
import JSON

/// An appointment (预约单): the `order` object of the platform's push, `OrderInfo` in the reference.
///
/// The object is kept exactly as received in `raw`; the typed properties are read leniently: a field that is
/// missing, null or of an unusable type is nil, never an error.
public struct Appointment: Sendable {
    /// The `order` object as received, unknown members included.
    public let raw: JSONObject
    /// `order_num`, the appointment's number (`Y634089652417560576`).
    public let orderNum: String
    /// `order_id` with its exact digits, even when it arrived as a JSON number beyond 2^53.
    public let orderID: String?
    /// `order_status`: 10 awaiting confirmation, 20 awaiting arrival, 30 cancelled, 40 no-show, 50 done.
    public let status: Int?
    /// `arrival_time` in the shop's zone.
    public let arrivalTime: Date?
    /// `service_end_time`, empty when the booking has no service duration.
    public let serviceEndTime: Date?
    /// `order_create_time`.
    public let orderCreateTime: Date?
    /// `customer_field_list`, with the values decoded from their JSON-in-a-string form.
    ///
    /// Decoded on each access, not with the appointment: every push carries its fields, few rules read them, and
    /// decoding their embedded JSON took about a twentieth of the daemon's time under load.
    public var customFields: [CustomField] { fieldList.compactMap(CustomField.init(json:)) }

    /// Reads an `order` object; nil when it has no usable `order_num`.
    public init?(order: JSONObject, clock: ShopClock) {
        guard let orderNum = order["order_num"]?.idText, !orderNum.isEmpty else { return nil }
        self.raw = order
        self.orderNum = orderNum
        self.orderID = order["order_id"]?.idText.flatMap { $0.isEmpty ? nil : $0 }
        self.status = order["order_status"]?.intValue
        self.arrivalTime = order["arrival_time"]?.stringValue.flatMap(clock.parse)
        self.serviceEndTime = order["service_end_time"]?.stringValue.flatMap(clock.parse)
        self.orderCreateTime = order["order_create_time"]?.stringValue.flatMap(clock.parse)
    }

    /// The raw member `field` of the order, or nil when absent.
    public func value(of field: String) -> JSONValue? { raw[field] }

    /// The decoded value of the first custom field called `name`, or `.null` when there is none. Decodes that
    /// field's value only.
    public func customField(named name: String) -> JSONValue {
        for entry in fieldList {
            guard let object = entry.objectValue, (object["field_name"]?.idText ?? "") == name else { continue }
            return CustomField.embedded(object["field_value"])
        }
        return .null
    }

    private var fieldList: [JSONValue] { raw["customer_field_list"]?.arrayValue ?? [] }
}

/// One entry of `customer_field_list`: a custom field the shop defined, with its decoded value.
public struct CustomField: Sendable, Equatable {
    /// `field_id`, exact digits.
    public let id: String
    /// `field_name`, as shown to the shop.
    public let name: String
    /// `field_type`: date, datetime, single, multi, number, radio, checkbox, cascade, file.
    public let type: String
    /// `field_value` decoded from the JSON text it holds; `.null` for an empty string.
    public let value: JSONValue
    /// `complete_value` (the option structure) decoded the same way.
    public let complete: JSONValue

    /// A custom field from its parts.
    public init(id: String, name: String, type: String, value: JSONValue, complete: JSONValue) {
        self.id = id
        self.name = name
        self.type = type
        self.value = value
        self.complete = complete
    }

    /// Reads one list entry; nil when it is not an object.
    public init?(json: JSONValue) {
        guard let object = json.objectValue else { return nil }
        self.id = object["field_id"]?.idText ?? ""
        self.name = object["field_name"]?.idText ?? ""
        self.type = object["field_type"]?.stringValue ?? ""
        self.value = Self.embedded(object["field_value"])
        self.complete = Self.embedded(object["complete_value"])
    }

    /// The value of JSON text held in a string: `"\"ss\""` is `"ss"`, `""` is null, text that is not JSON stays
    /// as it is. A value that is already structured is kept.
    static func embedded(_ value: JSONValue?) -> JSONValue {
        guard let value else { return .null }
        guard case .string(let text) = value else { return value }
        if text.allSatisfy(\.isWhitespace) { return .null }
        do {
            return try JSONValue.parse(text)
        } catch {
            return value
        }
    }
}
