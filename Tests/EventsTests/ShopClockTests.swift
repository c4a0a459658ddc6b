import Foundation
import Testing

@testable import Events

@Suite struct ShopClockTests {
    let shanghai = ShopClock()

    @Test func aBareTimeIsReadInTheShopsZone() throws {
        let date = try #require(shanghai.parse("2024-10-15 18:30:00"))
        // 18:30 in UTC+8 is 10:30 UTC.
        #expect(date.timeIntervalSince1970 == 1_728_988_200)
        let utc = ShopClock(timeZone: TimeZone(identifier: "UTC")!)
        #expect(utc.parse("2024-10-15 18:30:00")?.timeIntervalSince1970 == 1_729_017_000)
    }

    @Test func iso8601WithAZoneIgnoresTheShopsZone() {
        #expect(shanghai.parse("2024-10-15T10:30:00Z")?.timeIntervalSince1970 == 1_728_988_200)
        #expect(shanghai.parse("2024-10-15T18:30:00+08:00")?.timeIntervalSince1970 == 1_728_988_200)
        #expect(shanghai.parse("2024-10-15T05:30:00-0500")?.timeIntervalSince1970 == 1_728_988_200)
        #expect(shanghai.parse("2024-10-15T10:30:00.250Z")?.timeIntervalSince1970 == 1_728_988_200.25)
        #expect(shanghai.parse("2024-10-15T18:30:00")?.timeIntervalSince1970 == 1_728_988_200)
    }

    @Test func emptyAndMalformedTextsGiveNil() {
        for text in [
            "", "   ", "2024-10-15", "2024-13-01 00:00:00", "2023-02-29 10:00:00", "2024-10-15 24:00:00",
            "2024/10/15 18:30:00", "2024-10-15 18:30:00 junk", "2024-10-15T18:30:00+8", "２０２４-10-15 18:30:00",
        ] {
            #expect(shanghai.parse(text) == nil, "\(text)")
        }
        #expect(shanghai.parse("2024-02-29 10:00:00") != nil)
    }

    @Test func aZoneWithDaylightSavingUsesTheOffsetOfThatMoment() throws {
        let newYork = ShopClock(timeZone: TimeZone(identifier: "America/New_York")!)
        #expect(newYork.parse("2024-07-01 12:00:00")?.timeIntervalSince1970 == 1_719_849_600)
        #expect(newYork.parse("2024-01-01 12:00:00")?.timeIntervalSince1970 == 1_704_128_400)
    }

    @Test func formattingWritesThePatternInTheShopsZone() throws {
        let date = Date(timeIntervalSince1970: 1_728_988_200)
        #expect(shanghai.format(date, pattern: "yyyy-MM-dd HH:mm:ss") == "2024-10-15 18:30:00")
        #expect(shanghai.format(date, pattern: "MM月dd日 HH:mm") == "10月15日 18:30")
        let early = try #require(shanghai.parse("2025-01-02 03:04:05"))
        #expect(shanghai.format(early, pattern: "dd/MM/yyyy HHmmss") == "02/01/2025 030405")
        // A token cut short is kept as text; a year past four digits is written whole.
        #expect(shanghai.format(date, pattern: "yyyyy M m s H") == "2024y M m s H")
        #expect(shanghai.format(date, pattern: "") == "")
        let far = Date(timeIntervalSince1970: 253_402_300_800)  // 10000-01-01 00:00:00 UTC
        #expect(ShopClock(timeZone: TimeZone(identifier: "UTC")!).format(far, pattern: "yyyy-MM") == "10000-01")
    }

    @Test func formatAndParseAgreeAcrossManyDays() {
        let start = 946_684_800  // 2000-01-01
        for step in 0..<2_000 {
            let date = Date(timeIntervalSince1970: Double(start + step * 86_400 * 5 + step * 37))
            let text = shanghai.format(date, pattern: "yyyy-MM-dd HH:mm:ss")
            #expect(shanghai.parse(text) == date, "\(text)")
        }
    }

    @Test func civilDayArithmeticMatchesKnownDates() {
        #expect(ShopClock.daysFromCivil(year: 1970, month: 1, day: 1) == 0)
        #expect(ShopClock.daysFromCivil(year: 2000, month: 3, day: 1) == 11_017)
        let lastDayOf1969 = ShopClock.civilFromDays(-1)
        #expect(lastDayOf1969.year == 1969 && lastDayOf1969.month == 12 && lastDayOf1969.day == 31)
    }
}
