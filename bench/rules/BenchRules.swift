import Events
import Foundation
import JSON
import Rules

/// A hundred realistic rules, written the way a shop would: varied fields, operators, `in` lists, string tests,
/// time arithmetic, custom fields, `at` times and templates with filters, over four channel types.
enum BenchRules {
    static let channels = ["group": "wecom", "sms": "aliyun-sms", "hook": "webhook", "console": "console"]

    /// The `when` of rule `i`: twenty-two shapes, each with constants that change with `i`.
    static func when(_ i: Int) -> String {
        let status = [10, 20, 30][i % 3]
        switch i % 22 {
        case 0: return "order.order_status == \(status)"
        case 1: return "order.order_status in [10, 20, \(30 + i)]"
        case 2: return "order.order_status not in [40, 50] && order.project_name != \"项目\(i)\""
        case 3: return "order.arrival_time - now <= \(i % 5 + 1)h"
        case 4: return "hour(order.arrival_time) >= 9 && hour(order.arrival_time) < \(18 + i % 4)"
        case 5: return "weekday(order.arrival_time) in [1, 2, 3, 4, 5] || order.order_status == 20"
        case 6: return "order.project_name contains \"维修\" || order.project_name contains \"保养\""
        case 7: return "order.appointment_user_name startsWith \"张\" and order.order_status >= 10"
        case 8: return "order.network_name endsWith \"\(370 + i % 5)\""
        case 9: return "fields[\"户型\"] contains \"三室一厅\""
        case 10: return "fields[\"自定义单行文本\"] == \"ss\" && order.order_status == \(status)"
        case 11: return "fields[\"是否\"] == \"1\" || fields[\"是否\"] == 1"
        case 12: return "has(fields[\"自定义数字\"]) or order.service_duration > \(i)"
        case 13: return "len(order.remark) == 0 && order.person_name != \"\""
        case 14: return "order.service_end_time - order.arrival_time >= \(60 + i)m"
        case 15: return "order.service_duration > \(i) && order.service_duration <= 240"
        case 16: return "event.action == \"CRM_CONTACT_CREATE\" and not (order.order_status == 40)"
        case 17: return "date(order.arrival_time) == date(now)"
        case 18: return "order.person_name matches \"^王.*医生$\""
        case 19: return "account == \"W00000000516\" && user_id != \"0\""
        case 20: return "order.order_create_time + 30m < order.arrival_time"
        default: return "minute(order.arrival_time) == 30 || order.arrival_time > now + 1d"
        }
    }

    /// The `notify` list of rule `i`, its channel chosen by `i`.
    static func notify(_ i: Int) -> String {
        switch i % 4 {
        case 0:
            return """
                      - channel: group
                        markdown: |
                          新预约 {{ order.order_num }}: {{ order.appointment_user_name | default "顾客" }}
                          {{ order.project_name | truncate 6 }}, {{ order.arrival_time | date "MM-dd HH:mm" }}
                        mention: ["{{ fields[\\"是否\\"] }}"]
                """
        case 1:
            return """
                      - channel: sms
                        to: "{{ order.appointment_user_phone }}"
                        template: SMS_\(100_000 + i)
                        params:
                          name: "{{ order.appointment_user_name }}"
                          time: "{{ order.arrival_time | date \\"HH:mm\\" }}"
                """
        case 2:
            return """
                      - channel: hook
                        body:
                          rule: r\(i)
                          order: "{{ order.order_num }}"
                          status: "{{ order.order_status }}"
                          phone: "{{ order.appointment_user_phone | mask }}"
                          at: "{{ order.arrival_time | date \\"yyyy-MM-dd HH:mm:ss\\" }}"
                          urgent: \(i % 2 == 0)
                """
        default:
            return """
                      - channel: console
                        text: "{{ event.id | upper }} {{ order.person_name | lower }} {{ fields[\\"户型\\"] }}"
                """
        }
    }

    /// The rule file: every third rule has an `at`, some send late, five listen to a raw action.
    static var text: String {
        var out = "rules:\n"
        for i in 0..<100 {
            out += "  - name: rule-\(i)\n"
            out += i % 20 == 19 ? "    on: action:CRM_CONTACT_UPDATE\n" : "    on: appointment.created\n"
            out += "    when: '\(when(i))'\n"
            if i % 3 == 0 { out += "    at: order.arrival_time - \(i % 4 + 1)h\n" }
            if i % 6 == 0 { out += "    late: send\n" }
            out += "    notify:\n" + notify(i) + "\n"
        }
        return out
    }
}
