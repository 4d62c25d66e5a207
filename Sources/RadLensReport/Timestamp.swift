import Foundation
import Glibc

/// Report timestamps.
public enum Timestamp {
    /// `date` in ISO 8601, UTC, to the second ("2026-12-07T02:30:59Z"): what
    /// `Date.ISO8601Format()` writes, without building its format style (about 1 ms of a cold
    /// start, most of it looking up the style's protocol conformances).
    public static func iso8601(_ date: Date = Date()) -> String {
        var seconds = time_t(date.timeIntervalSince1970.rounded(.down))
        var parts = tm()
        gmtime_r(&seconds, &parts)
        func two(_ value: Int32) -> String { value < 10 ? "0\(value)" : "\(value)" }
        return "\(parts.tm_year + 1900)-\(two(parts.tm_mon + 1))-\(two(parts.tm_mday))"
            + "T\(two(parts.tm_hour)):\(two(parts.tm_min)):\(two(parts.tm_sec))Z"
    }
}
