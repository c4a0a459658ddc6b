import Events
import Foundation
import JSON

/// Runs rule-test files: feeds each case's events through the rules on a simulated clock and store, delivers
/// due notifications with the send-time re-check, and compares what was sent with what the case expects.
public struct RuleTestRunner {
    /// A notification the simulation sent.
    struct Sent {
        let rule: String
        let channel: String
        let at: Date
        let text: String
    }

    /// A job waiting in the simulated store.
    private struct Job {
        let id: String
        let note: PlannedNotification
        let appointment: String
    }

    /// Runs every case of the test file at `file`.
    public static func run(file: String) -> RuleTestReport {
        let test: RuleTestFile
        do {
            test = try RuleTestFile.read(file)
        } catch {
            return RuleTestReport(file: file, cases: [], errors: [error.message])
        }
        let rules: RuleSet
        switch RuleSet.load(files: test.ruleFiles, channels: test.channels, clock: test.clock) {
        case .success(let loaded): rules = loaded
        case .failure(let errors):
            return RuleTestReport(file: file, cases: [], errors: errors.diagnostics.map(\.description))
        }
        let results = test.cases.map { testCase in
            let sent = simulate(testCase, rules: rules)
            return RuleTestReport.CaseResult(
                name: testCase.name, failures: compare(sent, testCase.expectations, clock: test.clock))
        }
        return RuleTestReport(file: file, cases: results, errors: [])
    }

    /// Plays the steps in order, then lets the clock run until every pending job has been delivered or dropped.
    static func simulate(_ testCase: RuleTestFile.Case, rules: RuleSet) -> [Sent] {
        var pending: [Job] = []
        var sentKeys: Set<String> = []
        var sent: [Sent] = []
        var latest: [String: Event] = [:]
        var nextID: Int64 = 1

        func deliver(until time: Date?) {
            let due = pending.filter { time == nil || $0.note.dueAt <= time! }.sorted { $0.note.dueAt < $1.note.dueAt }
            for job in due {
                pending.removeAll { $0.id == job.id }
                guard let event = latest[job.appointment], !sentKeys.contains(job.note.key) else { continue }
                let check = rules.recheck(rule: job.note.rule, entry: job.note.entry, event: event, now: job.note.dueAt)
                guard case .send(let payload) = check else { continue }
                sentKeys.insert(job.note.key)
                sent.append(
                    Sent(rule: job.note.rule, channel: job.note.channel, at: job.note.dueAt, text: Self.text(payload)))
            }
        }

        for step in testCase.steps {
            deliver(until: step.at)
            let appointment = step.event.orderNum ?? "event:\(step.event.envelope.id)"
            latest[appointment] = step.event
            let plan = rules.plan(step.event, now: step.at)
            let mine = pending.filter { $0.appointment == appointment }
            let refs = mine.map {
                PendingRef(
                    jobID: $0.id, rule: $0.note.rule, entry: $0.note.entry, key: $0.note.key, dueAt: $0.note.dueAt)
            }
            let diff = Replanner.diff(plan: plan, pending: refs)
            let cancelled = Set(diff.cancel.map(\.jobID))
            pending.removeAll { cancelled.contains($0.id) }
            for note in diff.insert where note.decision == .send && !sentKeys.contains(note.key) {
                pending.append(Job(id: String(nextID), note: note, appointment: appointment))
                nextID += 1
            }
            deliver(until: step.at)
        }
        deliver(until: nil)
        return sent
    }

    /// The text an expectation is compared with: `text`, else `markdown`, else the payload's JSON.
    static func text(_ payload: JSONValue) -> String {
        payload["text"]?.stringValue ?? payload["markdown"]?.stringValue ?? payload.serialized()
    }

    /// Failure messages: expectations nothing matched, and notifications nobody expected.
    static func compare(_ sent: [Sent], _ expectations: [RuleTestFile.Expectation], clock: ShopClock) -> [String] {
        var unmatched = sent
        var failures: [String] = []
        for expectation in expectations {
            if let index = unmatched.firstIndex(where: { matches($0, expectation) }) {
                unmatched.remove(at: index)
                continue
            }
            var message = "expected \(expectation.source), but no notification matched"
            if !sent.isEmpty { message += "; sent:\n" + sent.map { describe($0, clock) }.joined(separator: "\n") }
            failures.append(message)
        }
        for extra in unmatched { failures.append("unexpected notification: " + describe(extra, clock)) }
        return failures
    }

    private static func matches(_ sent: Sent, _ expectation: RuleTestFile.Expectation) -> Bool {
        if let rule = expectation.rule, rule != sent.rule { return false }
        if let channel = expectation.channel, channel != sent.channel { return false }
        if let at = expectation.at, at != sent.at { return false }
        if let text = expectation.text, text != sent.text { return false }
        if let pattern = expectation.pattern {
            let range = NSRange(sent.text.startIndex..<sent.text.endIndex, in: sent.text)
            if pattern.firstMatch(in: sent.text, range: range) == nil { return false }
        }
        return true
    }

    private static func describe(_ sent: Sent, _ clock: ShopClock) -> String {
        let text = sent.text.replacingOccurrences(of: "\n", with: "\\n")
        return
            "\(sent.rule) via \(sent.channel) at \(clock.format(sent.at, pattern: "yyyy-MM-dd HH:mm:ss")): \"\(text)\""
    }
}
