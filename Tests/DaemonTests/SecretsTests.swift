import Daemon
import Foundation
import JSON
import TestKit
import Testing

/// Secrets never reach a log line, a job's reason, the admin API or the metrics, whatever the channel.
@Suite struct SecretsStayHidden {
    static let secrets = [
        "wecomkey-7f3a", "dingsecret-91bd", "dingtoken-5c2e", "feishusecret-0a9d", "slackhook-33aa",
        "hooksecret-8e1f", "hookbearer-6b7c", "aliid-4d4d", "alisecret-2f2f", "tcid-1c1c", "tckey-9e9e",
        "smtppass-7a7a", "cbtoken-5e5e", "admintoken-3b3b",
    ]

    @Test func noSecretAppearsAnywhereWhenEverySendFails() throws {
        let sink = try FakeHTTPServer(
            response: ScriptedResponse(status: 401, body: #"{"errcode":40001,"errmsg":"invalid key"}"#))
        defer { sink.stop() }
        let url = sink.url
        let config = """
            admin: {token: admintoken-3b3b}
            callback: {token: cbtoken-5e5e, aes_key: jWmYm7qr5nMoAUwZRjGtBxmz3KA1tkAj3ykkR6q2B2C}
            channels:
              wecom: {type: wecom, url: "\(url)/cgi-bin/webhook/send?key=wecomkey-7f3a"}
              ding: {type: dingtalk, url: "\(url)/robot/send?access_token=dingtoken-5c2e", secret: dingsecret-91bd}
              feishu: {type: feishu, url: "\(url)/hook/x", secret: feishusecret-0a9d}
              slack: {type: slack, url: "\(url)/services/slackhook-33aa"}
              hook:
                type: webhook
                url: "\(url)/h"
                secret: hooksecret-8e1f
                headers: {Authorization: "Bearer hookbearer-6b7c"}
              ali:
                type: aliyun-sms
                url: "\(url)/"
                access_key_id: aliid-4d4d
                access_key_secret: alisecret-2f2f
                sign_name: 店
              tc:
                type: tencent-sms
                url: "\(url)/"
                secret_id: tcid-1c1c
                secret_key: tckey-9e9e
                sdk_app_id: "1400000000"
                sign_name: 店
              mail:
                type: smtp
                url: "smtp://127.0.0.1:\(sink.port)"
                username: u
                password: smtppass-7a7a
                from: a@example.com
                timeout: 1s
            """
        let rules = """
            rules:
              - name: everywhere
                on: appointment.created
                notify:
                  - {channel: wecom, text: "新预约 {{ order.order_num }}"}
                  - {channel: ding, text: "新预约"}
                  - {channel: feishu, text: "新预约"}
                  - {channel: slack, text: "new booking"}
                  - {channel: hook}
                  - {channel: ali, to: "13800000000", template: SMS_1, params: {name: "{{ order.customer_name }}"}}
                  - {channel: tc, to: "13800000000", template: "1", params: ["{{ order.customer_name }}"]}
                  - {channel: mail, to: "b@example.com", subject: "s", text: "t"}
            """
        let daemon = try TestDaemon(rules: ["all.yaml": rules], extraConfig: config)
        defer { daemon.stop() }
        #expect(daemon.post(Fixture.example(id: "secret-1"))?.status == 200)
        let store = daemon.app.jobStore
        #expect(
            try TestDaemon.eventually(15) {
                let jobs = try store.jobs(orderKey: nil, state: nil, limit: 20)
                return jobs.count == 8 && jobs.allSatisfy { $0.attempts >= 1 && $0.state != .sending }
            })
        let jobs = try store.jobs(orderKey: nil, state: nil, limit: 20)
        #expect(jobs.count == 8)
        var everything = daemon.logLines.all.joined(separator: "\n")
        for job in jobs { everything += "\n" + (job.reason ?? "") }
        let admin = ["Authorization": "Bearer admintoken-3b3b"]
        everything += RawHTTP.request(port: daemon.port, method: "GET", path: "/api/jobs", headers: admin)?.body ?? ""
        everything += RawHTTP.request(port: daemon.port, method: "GET", path: "/metrics")?.body ?? ""
        #expect(jobs.allSatisfy { $0.reason != nil })
        for secret in Self.secrets {
            #expect(!everything.contains(secret), "secret \(secret) leaked")
        }
    }
}
