import Foundation
import JSON
import Testing

@testable import Events

@Suite struct EventTests {
    let clock = ShopClock()

    private func decode(_ text: String) throws -> Event {
        try Event.decode(Array(text.utf8), clock: clock)
    }

    private func decode(order: String) throws -> Appointment {
        let event = try decode(#"{"id":"1","event":"E","action":"A","body":{"order":\#(order)}}"#)
        return try #require(event.appointment)
    }

    @Test func theReferencePlaintextExampleDecodesCompletely() throws {
        let event = try Event.decode(try Fixtures.bytes("plain-example.json"), clock: clock)
        #expect(event.kind == "appointment.created")
        #expect(event.userID == "468")
        #expect(event.account == "W00000000516")
        #expect(event.orderNum == "Y634089652417560576")

        let order = try #require(event.appointment)
        #expect(order.orderNum == "Y634089652417560576")
        #expect(order.orderID == "634089652327989200")
        #expect(order.status == 10)
        #expect(order.arrivalTime == Date(timeIntervalSince1970: 1_728_988_200))
        #expect(order.serviceEndTime == Date(timeIntervalSince1970: 1_728_995_400))
        #expect(order.orderCreateTime == Date(timeIntervalSince1970: 1_728_986_753))
        #expect(order.value(of: "person_id") == .number("527440092860506100"))
        #expect(order.value(of: "appointment_user_phone") == "_hidden_5bc2c26b_")
        #expect(order.value(of: "union_id") == "")
    }

    @Test func theReferenceCustomFieldsAreDecodedFromTheirJSONText() throws {
        let order = try #require(try Event.decode(try Fixtures.bytes("plain-example.json"), clock: clock).appointment)
        #expect(order.customFields.count == 8)
        let first = order.customFields[0]
        #expect(first.id == "459059510902239200")
        #expect(first.name == "自定义单行文本")
        #expect(first.type == "single")
        #expect(first.value == "ss")
        #expect(first.complete["id"] == "459059510902239232")
        #expect(first.complete["aryVal"] == [])
        #expect(order.customField(named: "户型") == ["三室一厅"])
        #expect(order.customField(named: "自定义数字") == .null)
        #expect(order.customField(named: "是否") == "1")
        #expect(order.customField(named: "没有这个字段") == .null)
        #expect(order.customFields.last?.id == "565910685028335600")
    }

    @Test func anEventWrappedInDataDecodesLikeABareOne() throws {
        let plain = try Fixtures.bytes("plain-example.json")
        let wrapped = Array(#"{"data":"#.utf8) + plain + Array("}".utf8)
        let event = try Event.decode(wrapped, clock: clock)
        #expect(event.envelope.id == "995c220f-289b-4f69-a7c6-933db8b0dce3")
        #expect(event.appointment?.orderID == "634089652327989200")
    }

    @Test func missingNullAndWrongTypedFieldsAreNilNotErrors() throws {
        let sparse = try decode(order: #"{"order_num":"Y1"}"#)
        #expect(sparse.orderID == nil && sparse.status == nil && sparse.arrivalTime == nil)
        #expect(sparse.customFields.isEmpty)

        let nulls = try decode(
            order: #"{"order_num":"Y1","order_id":null,"order_status":null,"arrival_time":null,"#
                + #""customer_field_list":null}"#)
        #expect(nulls.orderID == nil && nulls.status == nil && nulls.arrivalTime == nil)

        let wrong = try decode(
            order: #"{"order_num":12,"order_id":"77","order_status":"abc","arrival_time":1728988200,"#
                + #""service_end_time":"soon","customer_field_list":{"a":1}}"#)
        #expect(wrong.orderNum == "12" && wrong.orderID == "77")
        #expect(wrong.status == nil && wrong.arrivalTime == nil && wrong.serviceEndTime == nil)
        #expect(wrong.customFields.isEmpty)
        #expect(try decode(order: #"{"order_num":"Y1","order_status":"20"}"#).status == 20)
    }

    @Test func anEmptyServiceEndTimeIsNil() throws {
        let order = try decode(order: #"{"order_num":"Y1","service_end_time":"","arrival_time":"2024-10-15 18:30:00"}"#)
        #expect(order.serviceEndTime == nil)
        #expect(order.arrivalTime != nil)
    }

    @Test func unknownFieldsAreKeptInRaw() throws {
        let order = try decode(
            order: #"{"order_num":"Y1","brand_new":{"deep":[1,2]},"order_id":123456789012345678901}"#)
        #expect(order.value(of: "brand_new")?["deep"]?[1] == 2)
        #expect(order.raw.keys == ["order_num", "brand_new", "order_id"])
        #expect(JSONValue.object(order.raw).serialized().contains("123456789012345678901"))
    }

    @Test func customFieldValuesThatAreNotJSONTextStayAsTheyAre() throws {
        let order = try decode(
            order: #"{"order_num":"Y1","customer_field_list":[7,{"field_id":1,"field_name":"a","field_value":"plain"},"#
                + #"{"field_name":"b","field_value":42},{"field_name":"c","field_value":"  "},"#
                + #"{"field_name":"a","field_value":"second"}]}"#)
        #expect(order.customFields.map(\.name) == ["a", "b", "c", "a"])
        #expect(order.customField(named: "a") == "plain")
        #expect(order.customField(named: "b") == 42)
        #expect(order.customField(named: "c") == .null)
        #expect(order.customFields[0].id == "1")
    }

    @Test func anEventWithoutAnAppointmentIsKnownByItsAction() throws {
        let event = try decode(#"{"id":"9","event":"CRM_CONTACT","action":"CRM_CONTACT_UPDATE","body":{"user_id":5}}"#)
        #expect(event.appointment == nil)
        #expect(event.kind == "action:CRM_CONTACT_UPDATE")
        #expect(event.userID == "5")
        #expect(event.orderNum == nil)
        let noNumber = try decode(#"{"id":"9","action":"X","body":{"order":{"order_id":1}}}"#)
        #expect(noNumber.kind == "action:X")
    }

    @Test func theOrderNumberFallsBackToTheAppointments() throws {
        let event = try decode(#"{"id":"9","action":"X","body":{"order":{"order_num":"Y9"}}}"#)
        #expect(event.orderNum == "Y9")
        #expect(event.kind == "appointment.created")
    }

    @Test func anEncryptedEnvelopeMustBeOpenedFirst() throws {
        let envelope = try Envelope.decode(try Fixtures.bytes("encrypted-example.json"))
        #expect(throws: EventError.stillEncrypted) { try Event.decode(envelope, clock: clock) }
    }

    @Test func everyFieldOfTheReferenceOrderHasAKind() throws {
        let order = try #require(try Event.decode(try Fixtures.bytes("plain-example.json"), clock: clock).appointment)
        for key in order.raw.keys { #expect(Appointment.fieldKinds[key] != nil, "\(key)") }
        #expect(Appointment.fieldKinds["arrival_time"] == .time)
        #expect(Appointment.fieldKinds["sign_in_distance"] == .integer)
        #expect(Appointment.fieldKinds["service_person_has_removed"] == .bool)
        #expect(Appointment.fieldKinds["customer_field_list"] == .list)
        #expect(Appointment.fieldKinds.count == 30)
    }
}
