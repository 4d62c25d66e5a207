import Foundation
import RadLensReport
import Testing

/// Report timestamps read as Foundation's ISO 8601 format writes them.
@Suite struct TimestampTests {
    @Test func matchesFoundationsISO8601Format() {
        let dates = [Date(timeIntervalSince1970: 0), Date(timeIntervalSince1970: 951_782_400.75),  // 2000-02-29
                     Date(timeIntervalSince1970: 1_796_610_681.209), Date(timeIntervalSince1970: 4_102_444_799), Date()]
        for date in dates {
            #expect(Timestamp.iso8601(date) == date.ISO8601Format())
        }
    }
}
