import Events
import Foundation
import JSON
import Storage

/// `scrm-notify jobs`, `cancel` and `retry`: work on the store directly, so they serve with the daemon stopped.
enum JobsCommand {
    static let help = """
        usage: scrm-notify jobs [--order NUM] [--state STATE] [--config FILE] [--json]
               scrm-notify cancel --order NUM [--config FILE]
               scrm-notify retry --failed [--config FILE]

        jobs lists notifications (planned, sending, sent, skipped, missed, failed, cancelled) with their times in
        the configured zone and the reason for each one not sent. cancel cancels the pending notifications of an
        appointment; retry --failed puts failed notifications back in the queue.
        """

    static func run(_ command: String, _ words: ArraySlice<String>) -> Int32 {
        let arguments: Arguments
        switch CommandLineTool.parse(
            words, help: help, valued: ["config", "order", "state"], flags: ["json", "failed"])
        {
        case .success(let parsed): arguments = parsed
        case .failure(let exit): return exit.code
        }
        let config: Config
        switch CommandLineTool.loadConfig(arguments) {
        case .success(let loaded): config = loaded
        case .failure(let exit): return exit.code
        }
        let shopClock = ShopClock(timeZone: config.timeZone)
        do {
            let store = try Store(directory: config.dataDirectory)
            defer { store.close() }
            switch command {
            case "cancel":
                guard let order = arguments.options["order"] else {
                    printError("scrm-notify: cancel needs --order NUM\n\n\(help)")
                    return 2
                }
                let count = try store.cancel(orderKey: order, reason: "cancelled from the command line", at: Date())
                print("cancelled \(count) pending notification\(count == 1 ? "" : "s") of \(order)")
            case "retry":
                guard arguments.flags.contains("failed") else {
                    printError("scrm-notify: retry needs --failed\n\n\(help)")
                    return 2
                }
                let count = try store.retryFailed(at: Date())
                print("requeued \(count) failed notification\(count == 1 ? "" : "s")")
            default:
                var filter: StateFilter?
                if let name = arguments.options["state"] {
                    guard let parsed = StateFilter(name) else {
                        let names = StateFilter.names.joined(separator: ", ")
                        printError("scrm-notify: unknown state \"\(name)\"; states are \(names)")
                        return 2
                    }
                    filter = parsed
                }
                let now = Date()
                let jobs = try store.jobs(orderKey: arguments.options["order"], state: filter?.stored, limit: 10_000)
                    .filter { filter?.keeps($0, now: now) ?? true }
                if arguments.flags.contains("json") {
                    print(JSONValue.array(jobs.map { JobView.json($0, shopClock: shopClock) }).serialized())
                } else {
                    if jobs.isEmpty { print("no notifications") }
                    for job in jobs { print(JobView.line(job, shopClock: shopClock)) }
                }
            }
            return 0
        } catch {
            printError("scrm-notify: \(error)")
            return 2
        }
    }
}
