/// The documented type of an `OrderInfo` field, which the rules use to type `order.<field>`.
public enum OrderFieldKind: Sendable, Equatable {
    /// Text, including ids that may arrive as numbers.
    case string
    /// A whole number.
    case integer
    /// A `yyyy-MM-dd HH:mm:ss` time in the shop's zone.
    case time
    /// true or false.
    case bool
    /// A list (`customer_field_list`).
    case list
}

extension Appointment {
    /// Every `OrderInfo` field of the reference, and `union_id` seen in real payloads, with its kind.
    public static let fieldKinds: [String: OrderFieldKind] = [
        "order_id": .string, "order_num": .string, "order_status": .integer, "order_status_value": .string,
        "order_create_time": .time, "order_create_user_id": .string, "order_create_user_name": .string,
        "network_id": .string, "network_name": .string, "arrival_time": .time, "person_id": .string,
        "person_name": .string, "project_id": .string, "project_name": .string, "service_duration": .integer,
        "appointment_user_name": .string, "appointment_user_phone": .string, "customer_id": .string,
        "customer_name": .string, "sign_in_status": .integer, "sign_in_status_value": .string,
        "sign_in_distance": .integer, "sign_in_location": .string, "customer_wx_avatar": .string,
        "customer_wx_nickname": .string, "service_person_has_removed": .bool, "customer_field_list": .list,
        "remark": .string, "service_end_time": .time, "union_id": .string,
    ]
}
