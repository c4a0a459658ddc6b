import Events
import Foundation
import JSON
import Rules

/// `scrm-notify simulate`: runs one event through the rules and prints the plan; sends nothing.
enum SimulateCommand {
    static let help = """
        usage: scrm-notify simulate EVENT.json [--now TIME] [--config FILE] [--json]

        Runs one event (a plaintext or encrypted envelope; encrypted ones need callback.token and aes_key in the
        config) through the rules and prints, for each rule, whether it matched and why, and for each
        notification its channel, send time and rendered text. Sends nothing. TIME is yyyy-MM-dd HH:mm:ss in the
        configured zone, or ISO 8601; it defaults to now.
        """

    static func run(_ words: ArraySlice<String>) -> Int32 {
        let arguments: Arguments
        switch CommandLineTool.parse(words, help: help, valued: ["config", "now"], flags: ["json"]) {
        case .success(let parsed): arguments = parsed
        case .failure(let exit): return exit.code
        }
        guard arguments.positional.count == 1, let path = arguments.positional.first else {
            printError("scrm-notify: simulate takes one event file\n\n\(help)")
            return 2
        }
        let config: Config
        switch Config.load(path: arguments.options["config"]) {
        case .success(let loaded): config = loaded
        case .failure(let problems):
            for problem in problems.diagnostics { printError("\(problem)") }
            return 2
        }
        let shopClock = ShopClock(timeZone: config.timeZone)
        var now = Date()
        if let text = arguments.options["now"] {
            guard let parsed = shopClock.parse(text) else {
                printError("scrm-notify: --now \"\(text)\" is not yyyy-MM-dd HH:mm:ss or ISO 8601")
                return 2
            }
            now = parsed
        }
        guard let bytes = FileManager.default.contents(atPath: path) else {
            printError("scrm-notify: cannot read \(path)")
            return 2
        }
        let rules: RuleSet
        switch RuleSet.load(directory: config.rulesDirectory, channels: config.channelTypes, clock: shopClock) {
        case .success(let loaded): rules = loaded
        case .failure(let problems):
            for problem in problems.diagnostics { printError("\(problem)") }
            return 2
        }
        let event: Event
        do {
            event = try decodeForSimulation(Array(bytes), config: config, shopClock: shopClock)
        } catch {
            printError("scrm-notify: \(path): \(error)")
            return 2
        }
        let plan = rules.plan(event, now: now)
        if arguments.flags.contains("json") {
            print(rules.describeJSON(plan).serialized())
        } else {
            print(rules.describe(plan))
        }
        return 0
    }

    /// Decodes a plaintext envelope, or opens an encrypted one with the configured keys.
    static func decodeForSimulation(_ bytes: [UInt8], config: Config, shopClock: ShopClock) throws -> Event {
        var envelope = try Envelope.decode(bytes)
        if let sealed = envelope.encryptedBody {
            let crypto = try CallbackCrypto(
                token: config.callback.token, encodingAESKey: config.callback.aesKey,
                receiveID: config.callback.receiveID)
            envelope = envelope.withBody(try JSONValue.parse(try crypto.open(sealed)))
        }
        return try Event.decode(envelope, clock: shopClock)
    }
}
