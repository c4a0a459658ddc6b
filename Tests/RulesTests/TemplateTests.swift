import Foundation
import Testing

@testable import Rules

@Suite struct TemplateTests {
    let harness = ExpressionHarness()

    func render(_ source: String, values: [Reference: Value] = [:]) throws -> String {
        var slots = SlotTable()
        let template = try Template.compile(source, orderFields: ExpressionHarness.fields, slots: &slots)
        let merged = harness.values.merging(values) { $1 }
        let context = EvaluationContext(table: slots, now: harness.now, zone: ExpressionHarness.zone) {
            merged[$0] ?? .null
        }
        return template.render(context)
    }

    func error(_ source: String) -> ExpressionError? {
        var slots = SlotTable()
        do {
            _ = try Template.compile(source, orderFields: ExpressionHarness.fields, slots: &slots)
            return nil
        } catch {
            return error
        }
    }

    @Test func valuesAreInsertedBetweenLiteralText() throws {
        #expect(try render("新预约: {{ order.customer_name }}, {{order.project_name}}") == "新预约: 张杨, 维修服务")
        #expect(try render("no values") == "no values")
        #expect(try render("{{ order.arrival_time }}") == "2024-10-15 18:30:00")
        #expect(try render("{{ fields[\"户型\"] }}") == "三室一厅")
    }

    @Test func dateFormatsInTheShopsZone() throws {
        #expect(try render("{{ order.arrival_time | date \"MM-dd HH:mm\" }}") == "10-15 18:30")
        #expect(try render("{{ order.arrival_time - 2h | date \"M月d日 H点\" }}") == "10月15日 16点")
    }

    @Test func textFiltersChain() throws {
        let phone: [Reference: Value] = [.order("appointment_user_phone"): .string("13812341234")]
        #expect(try render("{{ order.appointment_user_phone | mask }}", values: phone) == "138****1234")
        #expect(try render("{{ order.remark | default \"无\" }}") == "无")
        #expect(try render("{{ order.service_end_time | default \"-\" | upper }}") == "-")
        #expect(try render("{{ account | lower | truncate 3 }}") == "w00…")
        #expect(try render("{{ \"abc\" | upper }}") == "ABC")
    }

    @Test func valuesAreDataNotMarkup() throws {
        let sneaky: [Reference: Value] = [.order("customer_name"): .string("{{ account }}\"}")]
        #expect(try render("{{ order.customer_name }}", values: sneaky) == "{{ account }}\"}")
    }

    @Test func mistakesInTemplatesArePositioned() {
        #expect(
            error("hello {{ order.customer_name") == ExpressionError(offset: 6, message: "'{{' is not closed by '}}'"))
        #expect(error("{{ order.customer_name | uper }}")?.message == "unknown filter 'uper'; did you mean 'upper'?")
        #expect(error("{{ order.customer_name | uper }}")?.offset == 25)
        #expect(error("{{ order.customer_name | date \"HH\" }}")?.message.hasPrefix("date needs a time") == true)
        #expect(
            error("{{ order.arrival_time | date \"HH:qq\" }}")?.message.hasPrefix("unknown date field 'qq'") == true)
        #expect(error("{{ order.customer_nme }}")?.offset == 9)
    }
}
