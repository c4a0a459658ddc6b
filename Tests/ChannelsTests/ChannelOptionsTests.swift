import Channels
import Foundation
import TestKit
import Testing

@Suite struct ChannelOptionsParsing {
    @Test func rateLimitsReadCountPerPeriod() {
        #expect(RateLimit("20/min") == RateLimit(count: 20, period: .seconds(60)))
        #expect(RateLimit("5/s") == RateLimit(count: 5, period: .seconds(1)))
        #expect(RateLimit("100/h") == RateLimit(count: 100, period: .seconds(3600)))
        #expect(RateLimit("fast") == nil)
        #expect(RateLimit("0/min") == nil)
    }
}

@Suite struct QuietHoursWindow {
    let shanghai = TimeZone(identifier: "Asia/Shanghai")!

    func date(_ text: String) -> Date {
        let formatter = DateFormatter()
        formatter.locale = Locale(identifier: "en_US_POSIX")
        formatter.timeZone = shanghai
        formatter.dateFormat = "yyyy-MM-dd HH:mm"
        return formatter.date(from: text)!
    }

    @Test func aWindowAcrossMidnightMovesEveningAndMorningSendsToItsEnd() throws {
        let quiet = try #require(QuietHours("21:00-08:00"))
        #expect(quiet.adjust(date("2024-05-01 22:30"), timeZone: shanghai) == date("2024-05-02 08:00"))
        #expect(quiet.adjust(date("2024-05-02 03:15"), timeZone: shanghai) == date("2024-05-02 08:00"))
        #expect(quiet.adjust(date("2024-05-01 21:00"), timeZone: shanghai) == date("2024-05-02 08:00"))
        #expect(quiet.adjust(date("2024-05-02 08:00"), timeZone: shanghai) == date("2024-05-02 08:00"))
        #expect(quiet.adjust(date("2024-05-01 12:00"), timeZone: shanghai) == date("2024-05-01 12:00"))
    }

    @Test func aDaytimeWindowMovesSendsToItsEndTheSameDay() throws {
        let quiet = try #require(QuietHours("12:00-13:30"))
        #expect(quiet.adjust(date("2024-05-01 12:10"), timeZone: shanghai) == date("2024-05-01 13:30"))
        #expect(quiet.adjust(date("2024-05-01 13:30"), timeZone: shanghai) == date("2024-05-01 13:30"))
        #expect(QuietHours("25:00-08:00") == nil)
        #expect(QuietHours("08:00-08:00") == nil)
    }

    @Test func durationsAndChannelDefaultsAreParsedFromStrings() throws {
        #expect(DurationText.parse("10s") == .seconds(10))
        #expect(DurationText.parse("24h") == .seconds(86400))
        #expect(DurationText.parse("1h30m") == .seconds(5400))
        #expect(DurationText.parse("500ms") == .milliseconds(500))
        #expect(DurationText.parse("20") == .seconds(20))
        #expect(DurationText.parse("soon") == nil)
        let robot = try channel(["type": "wecom", "url": "https://x.invalid/?key=k", "timeout": "3s", "max_age": "2h"])
        #expect(robot.options == ChannelOptions(rateLimit: .chatRobot, timeout: .seconds(3), maxAge: .seconds(7200)))
        let hook = try channel(["type": "webhook", "url": "https://x.invalid/", "quiet_hours": "21:00-08:00"])
        #expect(hook.options.rateLimit == nil)
        #expect(hook.options.quietHours == QuietHours(start: 21 * 60, end: 8 * 60))
        #expect(hook.options.timeout == .seconds(10))
        #expect(hook.options.maxAge == .seconds(86400))
    }
}

@Suite struct RateLimiting {
    @Test func aBurstGoesAtOnceAndExcessSendsWaitForTheWindowToMove() {
        let limiter = RateLimiter(limit: RateLimit(count: 3, period: .seconds(60)))
        let now = Date(timeIntervalSince1970: 1_000_000)

        let slots = (0..<7).map { _ in limiter.reserve(now: now) }

        #expect(slots[0] == now && slots[1] == now && slots[2] == now)
        #expect(slots[3] == now + 60 && slots[4] == now + 60 && slots[5] == now + 60)
        #expect(slots[6] == now + 120)
    }

    @Test func neverMoreThanTheLimitInAnyWindow() {
        let limiter = RateLimiter(limit: RateLimit(count: 20, period: .seconds(60)))
        let start = Date(timeIntervalSince1970: 1_000_000)
        // Sends asked for at irregular moments over ten minutes, many more than the limit allows.
        var slots: [Date] = []
        for step in 0..<400 { slots.append(limiter.reserve(now: start + Double(step * step % 600))) }
        slots.sort()
        for (index, slot) in slots.enumerated() where index + 20 < slots.count {
            #expect(slots[index + 20].timeIntervalSince(slot) >= 60)
        }
    }

    @Test func aSlotFreesWhenItsSendLeavesTheWindow() {
        let limiter = RateLimiter(limit: RateLimit(count: 2, period: .seconds(2)))
        let now = Date(timeIntervalSince1970: 1_000_000)
        _ = limiter.reserve(now: now)
        _ = limiter.reserve(now: now)
        #expect(limiter.reserve(now: now + 1) == now + 2)
        #expect(limiter.reserve(now: now + 5) == now + 5)
    }
}

@Suite struct RetryBackoff {
    @Test func delaysDoubleWithinJitterUpToTheCap() {
        let policy = RetryPolicy()
        for (attempt, base) in [(1, 5.0), (2, 10.0), (3, 20.0), (4, 40.0), (20, 3600.0)] {
            for _ in 0..<20 {
                let delay = policy.delay(afterAttempt: attempt, hint: nil)
                #expect(delay >= .seconds(base * 0.8) && delay <= .seconds(base * 1.2))
            }
        }
    }

    @Test func aRetryAfterHintWins() {
        let policy = RetryPolicy()
        #expect(policy.delay(afterAttempt: 1, hint: .seconds(120)) == .seconds(120))
        #expect(policy.delay(afterAttempt: 1, hint: .seconds(99_999)) == .seconds(3600))
    }

    @Test func retryAfterAsAnHTTPDateIsHonoured() async throws {
        let server = try FakeHTTPServer()
        defer { server.stop() }
        let formatter = DateFormatter()
        formatter.locale = Locale(identifier: "en_US_POSIX")
        formatter.timeZone = TimeZone(identifier: "GMT")
        formatter.dateFormat = "EEE, dd MMM yyyy HH:mm:ss 'GMT'"
        let start = Date()
        let when = formatter.string(from: start.addingTimeInterval(120))
        server.respond(ScriptedResponse(status: 503, headers: [("Retry-After", when)]))
        let hook = try channel(["type": "webhook", "url": server.url])

        let outcome = await send(hook, ["body": "x"])

        guard case .retry(_, let after?) = outcome else {
            Issue.record("expected a retry with a delay, got \(outcome)")
            return
        }
        // The date has whole seconds, and the delay runs from when the answer was judged. Alone this test takes a
        // quarter of a second; in the whole suite on two cores, 8-10 s (on e820ade too): tests of every module
        // finish together about 9 s in, likely waiting for the pool's two threads, which synchronous tests hold
        // for seconds. So the lower bound counts the time it took.
        let elapsed = Date().timeIntervalSince(start)
        #expect(after >= .seconds(119 - elapsed) && after <= .seconds(120))
    }

    /// Header names are matched as HTTP matches them, whatever their case.
    @Test func aRetryAfterHeaderInLowerCaseIsHonoured() async throws {
        let server = try FakeHTTPServer()
        defer { server.stop() }
        server.respond(ScriptedResponse(status: 429, headers: [("retry-after", "45")]))
        let hook = try channel(["type": "webhook", "url": server.url])

        let outcome = await send(hook, ["body": "x"])

        guard case .retry(_, let after?) = outcome else {
            Issue.record("expected a retry with a delay, got \(outcome)")
            return
        }
        #expect(after == .seconds(45))
    }
}

@Suite struct FactoryErrors {
    @Test func errorsNameTheChannelAndKeyButNeverASecret() {
        #expect(throws: ChannelConfigError.unknownType(channel: "x", type: "fax")) {
            try channel(["type": "fax"], name: "x")
        }
        #expect(throws: ChannelConfigError.missingSetting(channel: "sms", key: "access_key_secret")) {
            try channel(["type": "aliyun-sms", "access_key_id": "id"], name: "sms")
        }
        do {
            _ = try channel(["type": "smtp", "url": "http://mail", "password": "hunter22", "from": "a@b.c"], name: "m")
            Issue.record("an http url for smtp was accepted")
        } catch {
            #expect("\(error)".contains("channel m: setting url"))
            #expect(!"\(error)".contains("hunter22"))
        }
        #expect(throws: ChannelConfigError.self) {
            try channel(["type": "webhook", "url": "https://x.invalid", "rate_limit": "lots"])
        }
    }

    @Test func numbersArriveAsStringsFromYAML() throws {
        let hook = try channel(["type": "webhook", "url": "https://x.invalid", "timeout": "20", "rate_limit": "5/s"])
        #expect(hook.options.timeout == .seconds(20))
        #expect(hook.options.rateLimit == RateLimit(count: 5, period: .seconds(1)))
    }
}
