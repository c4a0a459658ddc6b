import Foundation
import Rules

/// What a reload remembers between reloads; guarded by `App.reloadLock`.
struct ReloadState {
    /// The fingerprint of the rule files the last reload read (whether or not it was taken).
    var fingerprint: [UInt8]?
    /// Set by `stop()`: no reload starts after it.
    var stopped = false
}

extension App {
    /// Reads the config file again and recompiles the rules; a set with any error is refused whole, the running
    /// rules and channels stay, and each error is logged with its `file:line:column`. On success, pending
    /// notifications are re-planned against the new rules. Returns the problems found (empty on success).
    ///
    /// Channels come from the re-read config; settings bound at start (listen, data, rules folder, time zone,
    /// callback, admin token, log) are logged as needing a restart when they changed.
    @discardableResult
    public func reload(reason: String) -> [Diagnostic] { reload(reason: reason, onlyIfChanged: false) }

    /// `reload(reason:)`; with `onlyIfChanged`, nothing happens when the rule files are the ones last read
    /// (an editor's swap file or a touch changes nothing).
    @discardableResult
    func reload(reason: String, onlyIfChanged: Bool) -> [Diagnostic] {
        reloadLock.withLock {
            guard !reloadState.stopped else { return [] }
            let fingerprint = RulesWatcher.fingerprint(directory: config.rulesDirectory)
            if onlyIfChanged, fingerprint != nil, fingerprint == reloadState.fingerprint { return [] }
            reloadState.fingerprint = fingerprint
            let fresh: Config
            switch rereadConfig() {
            case .success(let read): fresh = read
            case .failure(let errors): return refuse(errors.diagnostics, reason: reason)
            }
            let restart = restartOnlyChanges(fresh)
            if !restart.isEmpty {
                logger.warning(
                    "config changes that take a restart are not applied",
                    ["reason": reason, "settings": restart.joined(separator: ",")])
            }
            var effective = fresh
            effective.rulesDirectory = config.rulesDirectory
            switch App.loadRuntime(config: effective, shopClock: shopClock, console: console, now: clock.now()) {
            case .success(let loaded):
                runtime.replace(with: loaded)
                metrics.reloaded(success: true, rules: loaded.rules.rules.count, at: clock.now())
                logger.info(
                    "rules reloaded",
                    [
                        "reason": reason, "rules": String(loaded.rules.rules.count),
                        "channels": String(loaded.channels.count),
                    ])
                planner?.replanPending()
                return []
            case .failure(let errors):
                return refuse(errors.diagnostics, reason: reason)
            }
        }
    }

    /// Logs each problem of a refused reload and records the refusal.
    private func refuse(_ problems: [Diagnostic], reason: String) -> [Diagnostic] {
        metrics.reloaded(success: false, rules: 0, at: clock.now())
        for problem in problems {
            logger.error("reload refused, previous rules kept", ["reason": reason, "problem": "\(problem)"])
        }
        return problems
    }

    /// The config file read again with the start's environment; the start config when it came from no file.
    private func rereadConfig() -> Result<Config, RuleErrors> {
        guard let file = config.file else { return .success(config) }
        return Config.load(path: file, environment: environment)
    }

    /// The names of the settings bound at start that differ in `fresh` (names only: values may be secrets).
    private func restartOnlyChanges(_ fresh: Config) -> [String] {
        var changed: [String] = []
        if fresh.listenHost != config.listenHost || fresh.listenPort != config.listenPort { changed.append("listen") }
        if fresh.dataDirectory != config.dataDirectory { changed.append("data") }
        if fresh.rulesDirectory != config.rulesDirectory { changed.append("rules") }
        if fresh.timeZone.identifier != config.timeZone.identifier { changed.append("timezone") }
        let old = config.callback
        let new = fresh.callback
        if old.path != new.path || old.token != new.token || old.aesKey != new.aesKey
            || old.receiveID != new.receiveID || old.requireEncryption != new.requireEncryption
        {
            changed.append("callback")
        }
        if fresh.adminToken != config.adminToken { changed.append("admin") }
        if fresh.log.level != config.log.level || fresh.log.format != config.log.format { changed.append("log") }
        return changed
    }
}
