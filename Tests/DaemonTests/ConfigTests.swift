import Daemon
import Foundation
import Testing

@Suite struct ConfigLoading {
    @Test func noFileMeansTheBuiltInDefaults() throws {
        let config = try Config.load(path: nil, environment: [:]).get()
        #expect(config.listenHost == "127.0.0.1")
        #expect(config.listenPort == 8080)
        #expect(config.dataDirectory == "./data")
        #expect(config.rulesDirectory == "./rules")
        #expect(config.timeZone.identifier == "Asia/Shanghai")
        #expect(config.callback.path == "/callback")
        #expect(config.channelTypes == ["console": "console"])
    }

    @Test func readsEverySettingAndExpandsTheEnvironment() throws {
        let text = """
            listen: 0.0.0.0:9090
            data: /var/lib/x
            timezone: Europe/Berlin
            callback:
              token: ${T}
              aes_key: ${K}
              require_encryption: true
            admin: {token: "${ADMIN}"}
            log: {level: debug, format: json}
            channels:
              group: {type: wecom, url: "https://example.invalid/send?key=${WECOM_KEY}"}
            """
        let env = ["T": "tok", "K": String(repeating: "a", count: 43), "ADMIN": "adm", "WECOM_KEY": "k1"]
        let config = try Config.parse(text, file: "c.yaml", environment: env).get()
        #expect(config.listenHost == "0.0.0.0")
        #expect(config.listenPort == 9090)
        #expect(config.timeZone.identifier == "Europe/Berlin")
        #expect(config.callback.token == "tok")
        #expect(config.callback.requireEncryption)
        #expect(config.adminToken == "adm")
        #expect(config.log.format == "json")
        #expect(config.channels["group"]?.type == "wecom")
        #expect(config.channels["group"]?.settings["url"] == "https://example.invalid/send?key=k1")
        #expect(config.channelTypes["group"] == "wecom")
    }

    @Test func reportsEveryProblemWithItsPosition() {
        let text = """
            listn: 1.2.3.4:80
            timezone: Mars/Olympus
            channels:
              a: {url: x}
            """
        guard case .failure(let problems) = Config.parse(text, file: "c.yaml", environment: [:]) else {
            Issue.record("a broken config was accepted")
            return
        }
        let lines = problems.diagnostics.map { "\($0)" }
        #expect(lines.contains("c.yaml:1:1: unknown setting \"listn\"; did you mean \"listen\"?"))
        #expect(lines.contains("c.yaml:2:11: unknown time zone \"Mars/Olympus\""))
        #expect(lines.contains { $0.hasPrefix("c.yaml:4:6: channel \"a\" has no type") })
    }

    @Test func aConfigThatIsNotYAMLIsAPositionedError() {
        guard case .failure(let problems) = Config.parse("a: [1, 2\nb: c", file: "bad.yaml", environment: [:]) else {
            Issue.record("broken YAML was accepted")
            return
        }
        #expect(problems.diagnostics.count == 1)
        #expect("\(problems.diagnostics[0])".hasPrefix("bad.yaml:"))
    }
}
