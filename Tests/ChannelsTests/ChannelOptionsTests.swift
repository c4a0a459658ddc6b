import Channels
import Foundation
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
