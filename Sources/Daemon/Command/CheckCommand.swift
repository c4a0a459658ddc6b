import Events
import Foundation
import Rules

/// `scrm-notify check`: validates the config and every rule file, printing each problem with its position.
enum CheckCommand {
    static let help = """
        usage: scrm-notify check [--config FILE]

        Validates the config and every rule file in its rules folder. Prints each problem as
        path:line:column: message. Exit 0 when all is well, 1 when problems were found, 2 on a usage error.
        """

    static func run(_ words: ArraySlice<String>) -> Int32 {
        let arguments: Arguments
        switch CommandLineTool.parse(words, help: help, valued: ["config"]) {
        case .success(let parsed): arguments = parsed
        case .failure(let exit): return exit.code
        }
        let config: Config
        switch Config.load(path: arguments.options["config"]) {
        case .success(let loaded): config = loaded
        case .failure(let problems):
            for problem in problems.diagnostics { print("\(problem)") }
            return 1
        }
        let shopClock = ShopClock(timeZone: config.timeZone)
        switch App.loadRuntime(config: config, shopClock: shopClock, console: nil, now: Date()) {
        case .success(let runtime):
            print("ok: \(runtime.rules.rules.count) rules, \(runtime.channels.count) channels")
            return 0
        case .failure(let problems):
            for problem in problems.diagnostics { print("\(problem)") }
            print("\(problems.diagnostics.count) problem\(problems.diagnostics.count == 1 ? "" : "s") found")
            return 1
        }
    }
}
