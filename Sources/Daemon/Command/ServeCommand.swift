import Dispatch
import Foundation
import Telemetry

#if canImport(Glibc)
    import Glibc
#endif

/// `scrm-notify serve`: runs the daemon until SIGTERM or SIGINT; SIGHUP reloads the rules.
enum ServeCommand {
    static let help = """
        usage: scrm-notify serve [--config FILE] [--log-format logfmt|json] [--log-level debug|info|warning|error]

        Runs the daemon. FILE defaults to ./scrm-notify.yaml; without one the built-in defaults serve
        (127.0.0.1:8080, ./data, ./rules, Asia/Shanghai). SIGHUP reloads the rules; SIGTERM or SIGINT stop
        taking pushes, let sends in flight finish, and exit 0; a second signal exits at once.
        """

    static func run(_ words: ArraySlice<String>) -> Int32 {
        let arguments: Arguments
        switch CommandLineTool.parse(words, help: help, valued: ["config", "log-format", "log-level"]) {
        case .success(let parsed): arguments = parsed
        case .failure(let exit): return exit.code
        }
        let config: Config
        switch Config.load(path: arguments.options["config"]) {
        case .success(let loaded): config = loaded
        case .failure(let problems):
            for problem in problems.diagnostics { printError("\(problem)") }
            return 2
        }
        guard let sink = makeSink(config: config, arguments: arguments) else { return 2 }
        // Signals are blocked before their dispatch sources exist, so an early one is neither lost nor fatal.
        var mask = sigset_t()
        sigemptyset(&mask)
        for signal in [SIGTERM, SIGINT, SIGHUP] { sigaddset(&mask, signal) }
        pthread_sigmask(SIG_BLOCK, &mask, nil)
        let app: App
        do {
            app = try App(config: config, logSink: sink)
            try app.start()
        } catch {
            for problem in error.diagnostics { printError("\(problem)") }
            printError("scrm-notify: \(error.description)")
            return 2
        }
        SystemdNotifier.notify("READY=1")
        let lifecycle = Lifecycle(app: app)
        lifecycle.install()
        lifecycle.waitForStop()
        return 0
    }

    static func makeSink(config: Config, arguments: Arguments) -> LogSink? {
        let formatName = arguments.options["log-format"] ?? config.log.format
        let levelName = arguments.options["log-level"] ?? config.log.level
        guard let format = LogFormat(rawValue: formatName) else {
            printError("scrm-notify: --log-format must be logfmt or json")
            return nil
        }
        guard let level = LogLevel(rawValue: levelName) else {
            printError("scrm-notify: --log-level must be debug, info, warning or error")
            return nil
        }
        return LogSink(format: format, level: level)
    }
}

/// Turns signals into a graceful stop or a reload; owns the signal sources.
final class Lifecycle: @unchecked Sendable {
    let app: App
    let queue = DispatchQueue(label: "scrm-notify.signals")
    let done = DispatchSemaphore(value: 0)
    // Owned by `queue`.
    private var stopping = false
    private var sources: [DispatchSourceSignal] = []

    init(app: App) { self.app = app }

    func install() {
        for signal in [SIGTERM, SIGINT] {
            let source = DispatchSource.makeSignalSource(signal: signal, queue: queue)
            source.setEventHandler { [unowned self] in stopRequested() }
            source.resume()
            sources.append(source)
        }
        let hangup = DispatchSource.makeSignalSource(signal: SIGHUP, queue: queue)
        hangup.setEventHandler { [unowned self] in
            SystemdNotifier.notify("RELOADING=1")
            app.reload(reason: "SIGHUP")
            SystemdNotifier.notify("READY=1")
        }
        hangup.resume()
        sources.append(hangup)
    }

    private func stopRequested() {
        if stopping {
            // A second signal: the operator does not want to wait.
            _exit(1)
        }
        stopping = true
        SystemdNotifier.notify("STOPPING=1")
        // The stop runs off the signal queue so that a second signal is still heard.
        Thread.detachNewThread { [self] in
            app.stop(deadline: Date() + 10)
            done.signal()
        }
    }

    func waitForStop() { done.wait() }
}
