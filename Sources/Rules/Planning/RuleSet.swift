import Events
import Foundation

/// The loaded rules: immutable, shared by the planner and the delivery workers.
public final class RuleSet: Sendable {
    /// The rules in file-name order, then written order.
    public let rules: [Rule]
    /// Every reference the rules read, resolved once per event.
    let slots: SlotTable
    public let clock: ShopClock
    let zone: ZoneMath
    private let byName: [String: Int]

    init(rules: [Rule], slots: SlotTable, clock: ShopClock) {
        self.rules = rules
        self.slots = slots
        self.clock = clock
        zone = ZoneMath(zone: clock.timeZone)
        byName = Dictionary(rules.enumerated().map { ($1.name, $0) }, uniquingKeysWith: { first, _ in first })
    }

    /// Loads every `*.yaml` and `*.yml` file of `directory`, sorted by name, reporting every problem.
    /// - Parameter channels: configured channel name → type; `console` of type console always exists.
    public static func load(directory: String, channels: [String: String], clock: ShopClock)
        -> Result<RuleSet, RuleErrors>
    {
        let names: [String]
        do {
            names = try FileManager.default.contentsOfDirectory(atPath: directory)
        } catch {
            return .failure(
                RuleErrors(diagnostics: [
                    Diagnostic(file: directory, line: 1, column: 1, message: "cannot read the rules folder")
                ]))
        }
        let files = names.filter { $0.hasSuffix(".yaml") || $0.hasSuffix(".yml") }.sorted()
            .map { (directory as NSString).appendingPathComponent($0) }
        return load(files: files, channels: channels, clock: clock)
    }

    /// Loads the given rule files in order, reporting every problem.
    public static func load(files: [String], channels: [String: String], clock: ShopClock)
        -> Result<RuleSet, RuleErrors>
    {
        var loader = RuleLoader(channels: withConsole(channels), orderFields: EventValues.orderFieldTypes)
        for file in files { loader.load(file: file) }
        return finish(loader, clock: clock)
    }

    /// Loads rules from text, as if read from a file called `file`; for tests and `check` of a single text.
    public static func load(text: String, file: String, channels: [String: String], clock: ShopClock)
        -> Result<RuleSet, RuleErrors>
    {
        var loader = RuleLoader(channels: withConsole(channels), orderFields: EventValues.orderFieldTypes)
        loader.load(text: text, file: file)
        return finish(loader, clock: clock)
    }

    private static func withConsole(_ channels: [String: String]) -> [String: String] {
        var all = channels
        if all["console"] == nil { all["console"] = "console" }
        return all
    }

    private static func finish(_ loader: RuleLoader, clock: ShopClock) -> Result<RuleSet, RuleErrors> {
        guard loader.diagnostics.isEmpty else { return .failure(RuleErrors(diagnostics: loader.diagnostics)) }
        return .success(RuleSet(rules: loader.rules, slots: loader.slots, clock: clock))
    }

    /// The rule called `name`, if loaded.
    public func rule(named name: String) -> Rule? { byName[name].map { rules[$0] } }

    /// The evaluation context of `event` at `now`: every reference resolved once.
    func context(_ event: Event, now: Date) -> EvaluationContext {
        EvaluationContext(table: slots, now: now.timeIntervalSince1970, zone: zone) {
            EventValues.resolve($0, in: event, clock: clock)
        }
    }
}
