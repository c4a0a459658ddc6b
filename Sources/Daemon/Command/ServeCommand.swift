import Dispatch
import Foundation
import Telemetry

#if canImport(Glibc)
    import Glibc
#endif

/// `scrm-notify serve`: runs the daemon until SIGTERM or SIGINT; SIGHUP reloads the rules.
enum ServeCommand {
    /// The command's usage, printed by `--help`.
    static let help = """
        usage: scrm-notify serve [--config FILE] [--log-format logfmt|json] [--log-level debug|info|warning|error]

        Runs the daemon. FILE defaults to ./scrm-notify.yaml; without one the built-in defaults serve
        (127.0.0.1:8080, ./data, ./rules, Asia/Shanghai). SIGHUP reloads the rules; SIGTERM or SIGINT stop
        taking pushes, let sends in flight finish, and exit 0; a second signal exits at once.
        """

    /// Runs the daemon until it is stopped; 0 after a graceful stop, 2 for a usage or config error.
    static func run(_ words: ArraySlice<String>) -> Int32 {
        let arguments: Arguments
        switch CommandLineTool.parse(words, help: help, valued: ["config", "log-format", "log-level"]) {
        case .success(let parsed): arguments = parsed
        case .failure(let exit): return exit.code
        }
        let config: Config
        switch CommandLineTool.loadConfig(arguments) {
        case .success(let loaded): config = loaded
        case .failure(let exit): return exit.code
        }
        guard let sink = makeSink(config: config, arguments: arguments) else { return 2 }
        // A log line written to a pipe nobody reads any more (a `| head`, a log collector that restarted) fails
        // with EPIPE and is dropped; without this the signal would end the daemon. systemd ignores it for
        // services too (IgnoreSIGPIPE).
        signal(SIGPIPE, SIG_IGN)
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
        SystemdNotifier.notify("READY=1\nSTATUS=listening on \(config.listenHost):\(app.port)")
        let lifecycle = Lifecycle(app: app)
        lifecycle.install()
        lifecycle.waitForStop()
        return 0
    }

    /// The log sink: format and level from the flags, else from the config; nil (after saying why) when a
    /// flag names neither. It is given every configured secret to keep out of lines.
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
        return LogSink(format: format, level: level, secrets: LogSecrets.of(config))
    }
}

/// Turns signals into a graceful stop or a reload; owns the signal sources.
final class Lifecycle: @unchecked Sendable {
    /// How long sends in flight may take to finish after a stop signal; systemd's `TimeoutStopSec` is longer.
    static let stopDeadline: TimeInterval = 10
    /// The daemon the signals act on.
    let app: App
    /// Runs the signal handlers, one at a time.
    let queue = DispatchQueue(label: "scrm-notify.signals")
    /// Signalled once the graceful stop has finished.
    let done = DispatchSemaphore(value: 0)
    // Owned by `queue`.
    private var stopping = false
    private var sources: [DispatchSourceSignal] = []

    /// A life cycle for `app`; nothing is installed yet.
    init(app: App) { self.app = app }

    /// Starts handling SIGTERM and SIGINT (stop) and SIGHUP (reload); they must already be blocked.
    func install() {
        for signal in [SIGTERM, SIGINT] {
            let source = DispatchSource.makeSignalSource(signal: signal, queue: queue)
            source.setEventHandler { [unowned self] in stopRequested(signal == SIGTERM ? "SIGTERM" : "SIGINT") }
            source.resume()
            sources.append(source)
        }
        let hangup = DispatchSource.makeSignalSource(signal: SIGHUP, queue: queue)
        hangup.setEventHandler { [unowned self] in
            SystemdNotifier.notify("RELOADING=1\nMONOTONIC_USEC=\(SystemdNotifier.monotonicMicroseconds())")
            app.reload(reason: "SIGHUP")
            SystemdNotifier.notify("READY=1")
        }
        hangup.resume()
        sources.append(hangup)
    }

    private func stopRequested(_ name: String) {
        if stopping {
            // A second signal: the operator does not want to wait. Interrupted sends are retried at the next start.
            app.logger.warning("second stop signal, exiting now", ["signal": name])
            _exit(1)
        }
        stopping = true
        SystemdNotifier.notify("STOPPING=1")
        app.logger.info("stopping", ["signal": name, "deadline": "\(Int(Lifecycle.stopDeadline))s"])
        // The stop runs off the signal queue so that a second signal is still heard.
        Thread.detachNewThread { [self] in
            app.stop(deadline: Date() + Lifecycle.stopDeadline)
            done.signal()
        }
    }

    /// Blocks until a stop signal has been handled and the daemon has stopped.
    func waitForStop() { done.wait() }
}
