import Channels
import Events
import Foundation
import JSON
import Rules
import Storage
import Telemetry

/// Why the daemon could not start.
public struct StartError: Error, CustomStringConvertible, Sendable {
    public let description: String
    /// Positioned problems in the config or rules, when those were the cause.
    public let diagnostics: [Diagnostic]
}

/// The running daemon: store, rules, channels, planner, scheduler, delivery and HTTP, wired together.
public final class App: @unchecked Sendable {
    public let config: Config
    let store: Store
    let clock: any Clock
    let shopClock: ShopClock
    let logger: Logger
    let metrics: DaemonMetrics
    let runtime: RuntimeHolder
    let deliverer: Deliverer
    let console: ConsoleWriter?
    // Built in start(); read-only after.
    private(set) var server: HTTPServer!
    private(set) var planner: PlanService!
    private(set) var scheduler: Scheduler!
    private var worker: DeliveryWorker!
    private var executor: DeliveryExecutor?
    private(set) var ingest: Ingest!
    private var watcher: RulesWatcher?
    /// The environment `${VAR}` in the config file reads from when a reload reads the file again.
    let environment: [String: String]
    // `reloadLock` serializes reloads and guards `reloadState`.
    let reloadLock = NSLock()
    var reloadState = ReloadState()

    /// Opens the store and loads the rules; nothing listens yet.
    /// - Parameter environment: what `${VAR}` reads when a reload reads the config file again.
    public init(
        config: Config, clock: any Clock = SystemClock(), logSink: LogSink, console: ConsoleWriter? = nil,
        environment: [String: String] = ProcessInfo.processInfo.environment
    ) throws(StartError) {
        self.config = config
        self.environment = environment
        self.clock = clock
        self.console = console
        shopClock = ShopClock(timeZone: config.timeZone)
        logger = Logger(sink: logSink)
        metrics = DaemonMetrics()
        switch App.loadRuntime(config: config, shopClock: shopClock, console: console, now: clock.now()) {
        case .success(let loaded): runtime = RuntimeHolder(loaded)
        case .failure(let problems):
            throw StartError(description: "config or rules have errors", diagnostics: problems.diagnostics)
        }
        let opening = Date()
        do {
            store = try Store(directory: config.dataDirectory) { [logger] from, to in
                logger.info("upgrading the store", ["from": String(from), "schema": String(to)])
                // Under systemd the start must end within its timeout (90 s by default), and a rebuild takes about a
                // minute for a million events: killed midway, it would roll back and begin again at every restart.
                SystemdNotifier.notify("STATUS=upgrading the store to schema \(to)\nEXTEND_TIMEOUT_USEC=3600000000")
            }
        } catch {
            throw StartError(description: "cannot open the store in \(config.dataDirectory): \(error)", diagnostics: [])
        }
        // A migration may rebuild a table, which takes seconds for a store of a million jobs: say why the start
        // took long. A new store's own creation counts as migrations too, and says nothing.
        if store.migrationsApplied > 0 && store.migrationsApplied < Store.latestSchemaVersion {
            logger.info(
                "store upgraded",
                [
                    "migrations": String(store.migrationsApplied), "schema": String(Store.latestSchemaVersion),
                    "seconds": String(format: "%.2f", Date().timeIntervalSince(opening)),
                ])
        }
        deliverer = Deliverer(client: HTTPClient())
        reloadState.fingerprint = RulesWatcher.fingerprint(directory: config.rulesDirectory)
    }

    /// Compiles the rules and builds the channels of `config`; every problem is returned with its position.
    static func loadRuntime(config: Config, shopClock: ShopClock, console: ConsoleWriter?, now: Date)
        -> Result<Runtime, RuleErrors>
    {
        var problems: [Diagnostic] = []
        var channels: [String: any Channel] = [:]
        do {
            var settings = JSONObject()
            settings["type"] = "console"
            channels["console"] = try ChannelFactory.make(name: "console", settings: settings, console: console)
        } catch {}
        for (name, spec) in config.channels {
            var settings = spec.settings
            settings["type"] = .string(spec.type)
            do {
                channels[name] = try ChannelFactory.make(name: name, settings: settings, console: console)
            } catch {
                problems.append(
                    Diagnostic(
                        file: config.file ?? "scrm-notify.yaml", line: spec.line, column: spec.column,
                        message: "\(error)"))
            }
        }
        switch RuleSet.load(directory: config.rulesDirectory, channels: config.channelTypes, clock: shopClock) {
        case .success(let rules):
            if problems.isEmpty { return .success(Runtime(rules: rules, channels: channels, loadedAt: now)) }
        case .failure(let ruleProblems): problems += ruleProblems.diagnostics
        }
        return .failure(RuleErrors(diagnostics: problems))
    }

    /// Recovers interrupted work, then starts the scheduler and the HTTP server.
    public func start() throws(StartError) {
        metrics.watch(store: store)
        metrics.reloaded(success: true, rules: runtime.current.rules.rules.count, at: clock.now())
        let events = EventCache(shopClock: shopClock)
        let worker = DeliveryWorker(
            store: store, clock: clock, events: events, runtime: runtime, deliverer: deliverer,
            retryPolicy: RetryPolicy(), logger: logger, metrics: metrics)
        self.worker = worker
        let executor = DeliveryExecutor()
        self.executor = executor
        let scheduler = Scheduler(store: store, clock: clock, logger: logger) { job, done in
            if worker.deliverAtOnce(job, settled: done) { return }
            Task(executorPreference: executor) {
                await worker.deliver(job, settled: done)
            }
        }
        self.scheduler = scheduler
        planner = PlanService(
            store: store, clock: clock, events: events, runtime: runtime, logger: logger, metrics: metrics,
            claims: scheduler
        ) { scheduler.poke() }
        ingest = Ingest(
            store: store, clock: clock, crypto: makeCrypto(),
            requireEncryption: config.callback.requireEncryption, logger: logger, metrics: metrics,
            planner: planner)
        if let recovered = try? store.recoverInterrupted(at: clock.now()), recovered > 0 {
            logger.warning("sends interrupted by a stop will be retried", ["jobs": String(recovered)])
        }
        planner.recoverUnplanned()
        scheduler.start()
        server = HTTPServer(tooLarge: { _ in .platform(413, ok: false, message: "body over 1 MiB") }) {
            [unowned self] request in reply(request)
        }
        do {
            try server.start(host: config.listenHost, port: config.listenPort)
        } catch {
            scheduler.stop(deadline: Date())
            throw StartError(description: "\(error)", diagnostics: [])
        }
        watcher = RulesWatcher(directory: config.rulesDirectory) { [weak self] in
            self?.reload(reason: "rules folder changed", onlyIfChanged: true)
        }
        if watcher == nil {
            logger.warning("the rules folder is not watched; reload with SIGHUP", ["rules": config.rulesDirectory])
        }
        logger.info(
            "scrm-notify started",
            [
                "listen": "\(config.listenHost):\(server.port)", "rules": String(runtime.current.rules.rules.count),
                "data": config.dataDirectory,
            ])
    }

    private func makeCrypto() -> CallbackCrypto? {
        guard !config.callback.aesKey.isEmpty else { return nil }
        return try? CallbackCrypto(
            token: config.callback.token, encodingAESKey: config.callback.aesKey, receiveID: config.callback.receiveID)
    }

    /// The port the HTTP server listens on.
    public var port: UInt16 { server?.port ?? 0 }

    /// Stops taking pushes, lets sends in flight finish until `deadline`, and closes the store.
    public func stop(deadline: Date = Date() + 10) {
        // The watcher first: a reload it started finishes before the store closes, and none starts after.
        watcher?.stop()
        reloadLock.withLock { reloadState.stopped = true }
        server?.quiesce()
        planner?.drain()
        scheduler?.stop(deadline: deadline)
        executor?.stop()
        server?.stop()
        store.close()
        logger.info("scrm-notify stopped")
    }

    /// Asks the scheduler to look for due jobs now (after a test moved the clock).
    public func poke() { scheduler?.poke() }

    /// Waits until every accepted event has been planned.
    public func drainPlanning() { planner?.drain() }

    /// The store, for commands and tests.
    public var jobStore: Store { store }
}
