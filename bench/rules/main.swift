import Events
import Foundation
import JSON
import Rules

// Measures the compiled rules on one core: `when` evaluations per second and whole plans per second, over the
// platform's reference example and three variants of it.

let clock = ShopClock(timeZone: TimeZone(identifier: "Asia/Shanghai")!)
let ruleSet: RuleSet
switch RuleSet.load(text: BenchRules.text, file: "bench.yaml", channels: BenchRules.channels, clock: clock) {
case .success(let loaded): ruleSet = loaded
case .failure(let errors):
    print(errors)
    exit(1)
}

let fixture = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
    .deletingLastPathComponent().appendingPathComponent("Tests/Fixtures/Events/plain-example.json")
guard let example = FileManager.default.contents(atPath: fixture.path).map({ String(decoding: $0, as: UTF8.self) })
else {
    print("cannot read \(fixture.path)")
    exit(1)
}

/// The example with some of its text replaced.
func variant(_ changes: [(String, String)]) -> Event {
    let text = changes.reduce(example) { $0.replacingOccurrences(of: $1.0, with: $1.1) }
    do {
        return try Event.decode(Array(text.utf8), clock: clock)
    } catch {
        print("variant does not decode: \(error)")
        exit(1)
    }
}

let events = [
    variant([]),
    variant([("\"order_status\": 10", "\"order_status\": 20"), ("2024-10-15 18:30:00", "2024-10-16 09:00:00")]),
    variant([("维修服务", "保养套餐"), ("张杨", "李四"), ("\"是否\"", "\"是否2\"")]),
    variant([("CRM_CONTACT_CREATE", "CRM_CONTACT_UPDATE")]),
]
let now = clock.parse("2024-10-15 15:00:00")!
let kinds = events.map(\.kind)

/// The CPU time this thread has used, in seconds: the machine is shared, so wall time would undercount.
func cpuSeconds() -> Double {
    var spec = timespec()
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &spec)
    return Double(spec.tv_sec) + Double(spec.tv_nsec) * 1e-9
}

/// Runs `body` repeatedly for about `seconds` of CPU time and returns how many times it ran per CPU second.
func rate(seconds: Double = 2, _ body: () -> Int) -> (perSecond: Double, sink: Int) {
    var runs = 0
    var sink = 0
    let start = cpuSeconds()
    while cpuSeconds() - start < seconds {
        for _ in 0..<100 { sink &+= body() }
        runs += 100
    }
    return (Double(runs) / (cpuSeconds() - start), sink)
}

/// Evaluates every rule's `when` (and `on`) for `event`; returns how many matched.
func matchAll(_ context: EvaluationContext, kind: String) -> Int {
    var matched = 0
    for rule in ruleSet.rules where rule.on == kind {
        if rule.when?.evaluate(context).isTrue ?? true { matched += 1 }
    }
    return matched
}

let whens = ruleSet.rules.count
let contexts = events.map { ruleSet.context($0, now: now) }
var index = 0
let warm = rate(seconds: 0.5) { matchAll(contexts[0], kind: kinds[0]) }

index = 0
let bare = rate {
    index = (index + 1) % events.count
    return matchAll(contexts[index], kind: kinds[index])
}
let withContext = rate {
    index = (index + 1) % events.count
    return matchAll(ruleSet.context(events[index], now: now), kind: kinds[index])
}
let plans = rate {
    index = (index + 1) % events.count
    return ruleSet.plan(events[index], now: now).notifications.count
}
let unrendered = rate {
    index = (index + 1) % events.count
    return ruleSet.plan(events[index], now: now, rendering: false).notifications.count
}
let matchedPerEvent = events.indices.map { matchAll(contexts[$0], kind: kinds[$0]) }

func show(_ value: Double) -> String { String(format: "%12.0f", value) }
print("rules: \(whens), events: \(events.count), matched per event: \(matchedPerEvent)")
print("when evaluations/s, context reused:        \(show(bare.perSecond * Double(whens)))")
print("when evaluations/s, context built per event: \(show(withContext.perSecond * Double(whens)))")
print("contexts/s (every reference resolved once):  \(show(withContext.perSecond))")
print("full plans/s (100 rules, rendering):         \(show(plans.perSecond))")
let perPlan = Double(events.map { ruleSet.plan($0, now: now).notifications.count }.reduce(0, +)) / Double(events.count)
print("rendered notifications/s:                    \(show(plans.perSecond * perPlan))")
print("full plans/s, not rendered (as the daemon):  \(show(unrendered.perSecond))")
_ = warm.sink &+ bare.sink &+ withContext.sink &+ plans.sink &+ unrendered.sink
