import Foundation
import Testing

@testable import Rules

/// Compiles and evaluates expressions over a fixed set of reference values.
struct ExpressionHarness {
    static let zone = ZoneMath(zone: TimeZone(identifier: "Asia/Shanghai")!)
    static let fields: [String: ValueType] = [
        "order_status": .number, "arrival_time": .time, "service_end_time": .time, "customer_name": .string,
        "project_name": .string, "remark": .string, "appointment_user_phone": .string,
    ]
    static let arrival = zone.parse("2024-10-15 18:30:00")!

    var values: [Reference: Value] = [
        .order("order_status"): .number(10), .order("arrival_time"): .time(arrival),
        .order("service_end_time"): .null, .order("customer_name"): .string("张杨"),
        .order("project_name"): .string("维修服务"), .order("remark"): .string(""),
        .field("户型"): .list([.string("三室一厅")]), .body([.key("order"), .key("order_status")]): .number(10),
        .account: .string("W00000000516"),
    ]
    var now = zone.parse("2024-10-15 18:05:53")!

    func evaluate(_ source: String) throws -> Value {
        var slots = SlotTable()
        let expression = try Expression.compile(source, orderFields: Self.fields, slots: &slots)
        let context = EvaluationContext(table: slots, now: now, zone: Self.zone) { values[$0] ?? .null }
        return expression.evaluate(context)
    }

    func holds(_ source: String) throws -> Bool { try evaluate(source) == .bool(true) }

    func checkError(_ source: String) -> ExpressionError? {
        var slots = SlotTable()
        do {
            _ = try Expression.compile(source, orderFields: Self.fields, slots: &slots)
            return nil
        } catch {
            return error
        }
    }
}

@Suite struct ExpressionTests {
    let harness = ExpressionHarness()

    @Test func comparisonsAndBooleanOperatorsFollowTheirUsualMeaning() throws {
        #expect(try harness.holds("order.order_status == 10"))
        #expect(try harness.holds("order.order_status != 20 && order.order_status >= 10"))
        #expect(try harness.holds("order.order_status < 5 || order.order_status <= 10"))
        #expect(try harness.holds("not (order.order_status > 10) and !(order.order_status == 20)"))
        #expect(try !harness.holds("order.order_status == 10 && false"))
    }

    @Test func membershipAndStringOperatorsWork() throws {
        #expect(try harness.holds("order.order_status in [10, 20]"))
        #expect(try harness.holds("order.order_status not in [30, 40, 50]"))
        #expect(try harness.holds("order.project_name contains \"维修\""))
        #expect(try harness.holds("order.project_name startsWith '维' && order.project_name endsWith '服务'"))
        #expect(try harness.holds("order.customer_name matches \"^张.$\""))
        #expect(try harness.holds("fields[\"户型\"] contains \"三室一厅\""))
        #expect(try harness.holds("account startsWith \"W\""))
    }

    @Test func comparisonsWithNullAreFalseButNullTestsWork() throws {
        #expect(try !harness.holds("order.service_end_time > now"))
        #expect(try !harness.holds("order.service_end_time < now"))
        #expect(try !harness.holds("fields[\"missing\"] == \"x\""))
        #expect(try !harness.holds("fields[\"missing\"] != \"x\""))
        #expect(try harness.holds("order.service_end_time == null"))
        #expect(try harness.holds("order.arrival_time != null"))
        #expect(try !harness.holds("has(order.remark)") && harness.holds("has(order.customer_name)"))
        #expect(try !harness.holds("order.service_end_time + 1d > now"))
    }

    @Test func timeArithmeticWorksInShanghai() throws {
        #expect(try harness.evaluate("order.arrival_time - 2h") == .time(ExpressionHarness.arrival - 7200))
        #expect(try harness.evaluate("order.arrival_time - now") == .duration(24 * 60 + 7))
        #expect(try harness.holds("order.arrival_time - now <= 2h"))
        #expect(try harness.evaluate("1h30m + 30m") == .duration(7200))
        #expect(try harness.evaluate("hour(order.arrival_time)") == .number(18))
        #expect(try harness.evaluate("minute(order.arrival_time)") == .number(30))
        #expect(try harness.evaluate("weekday(order.arrival_time)") == .number(2))
        let midnight = ExpressionHarness.zone.parse("2024-10-15 00:00:00")!
        #expect(try harness.evaluate("date(order.arrival_time)") == .time(midnight))
        #expect(try harness.evaluate("date(order.arrival_time + 6h)") == .time(midnight + 86400))
        #expect(try harness.evaluate("len(order.customer_name) + len([1, 2, 3])") == .number(5))
    }

    @Test func bodyPathsAreDynamicAndCompareWithNumbers() throws {
        #expect(try harness.holds("body.order.order_status == 10"))
        #expect(try harness.holds("body.order.order_status in [10, 20]"))
        #expect(try !harness.holds("body.order[\"missing\"] == 10"))
    }

    @Test func unknownOrderFieldsSuggestTheClosestName() {
        let error = harness.checkError("order.order_stauts == 10")
        #expect(error?.message == "unknown order field 'order_stauts'; did you mean 'order_status'?")
        #expect(error?.offset == 6)
    }

    @Test func typeMismatchesArePointedAt() {
        let mismatch = harness.checkError("order.order_status == \"10\"")
        #expect(mismatch?.message == "type mismatch: order.order_status is a number but \"10\" is a string")
        #expect(mismatch?.offset == 19)
        #expect(harness.checkError("order.arrival_time + order.arrival_time")?.offset == 19)
        #expect(harness.checkError("order.customer_name && true")?.message.contains("needs a bool") == true)
        #expect(harness.checkError("hour(order.customer_name) == 1")?.offset == 5)
    }

    @Test func badRegularExpressionsAndSyntaxAreCheckErrors() {
        #expect(harness.checkError("order.customer_name matches \"([\"")?.offset == 28)
        #expect(harness.checkError("order.order_status = 10")?.message.contains("'=='") == true)
        #expect(harness.checkError("order.order_status == ")?.message == "expected a value, found the end")
        #expect(harness.checkError("ordr.x == 1")?.message == "unknown name 'ordr'; did you mean 'order'?")
        #expect(harness.checkError("order.arrival_time - 2x")?.offset == 21)
        #expect(harness.checkError("howr(now) == 1")?.message.contains("did you mean 'hour'?") == true)
    }

    @Test func durationsParseAndPrintInRuleNotation() {
        #expect(Durations.parse("90s") == 90)
        #expect(Durations.parse("1h30m") == 5400)
        #expect(Durations.parse("1d") == 86400)
        #expect(Durations.parse("2x") == nil)
        #expect(Durations.parse("15") == nil)
        #expect(Durations.format(5400) == "1h30m")
        #expect(Durations.format(-900) == "-15m")
    }

    @Test func explanationsNameTheFalsePartAndItsValues() throws {
        var slots = SlotTable()
        let source = "order.order_status in [10, 20] && order.project_name != \"维修服务\""
        let expression = try Expression.compile(source, orderFields: ExpressionHarness.fields, slots: &slots)
        let context = EvaluationContext(table: slots, now: harness.now, zone: ExpressionHarness.zone) {
            harness.values[$0] ?? .null
        }
        #expect(
            expression.explainFalse(context, table: slots)
                == "order.project_name != \"维修服务\" is false (order.project_name = \"维修服务\")")
    }
}
