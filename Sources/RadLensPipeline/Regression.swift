import Foundation
import RadLensReport

/// `radlens regress`: every sample image through the whole pipeline, compared with the committed
/// expected outputs (`<folder>/expected/<name>.json`, `.en.txt`, `.zh.txt`, `.fhir.json`).
/// Numbers may differ by `tolerance` (JSON) or one displayed unit (text); times, durations and
/// the kernel level are ignored. Reports record the file name only, so expected files do not
/// depend on where the repository is.
public enum Regression {
    /// Keys whose values change from run to run or machine to machine.
    static let volatileKeys: Set<String> = ["generatedAt", "timingsMs", "issued", "kernelLevel", "data"]

    public struct Mismatch: Sendable, CustomStringConvertible {
        public var file: String
        public var difference: String
        public var description: String { "\(file): \(difference)" }
    }

    /// The outputs compared for each sample, by expected-file suffix.
    static let outputs: [(suffix: String, format: ReportFormat, language: ReportLanguage)] = [
        ("json", .json, .en), ("en.txt", .text, .en), ("zh.txt", .text, .zh), ("fhir.json", .fhir, .en),
    ]

    /// Compares (or with `update`, rewrites) the expected outputs of every image in `directory`.
    public static func run(directory: String, analyzer: Analyzer, update: Bool, tolerance: Double = 1e-4) throws(AnalysisError) -> (checked: Int, mismatches: [Mismatch]) {
        let folder = URL(fileURLWithPath: directory)
        let expected = folder.appendingPathComponent("expected")
        let names = ((try? FileManager.default.contentsOfDirectory(atPath: directory)) ?? []).sorted().filter {
            ["png", "jpeg", "jpg", "dcm"].contains(($0 as NSString).pathExtension.lowercased())
        }
        guard !names.isEmpty else { throw AnalysisError(.io, "\(directory): no sample images") }
        if update { try? FileManager.default.createDirectory(at: expected, withIntermediateDirectories: true) }
        var mismatches: [Mismatch] = []
        for name in names {
            let path = folder.appendingPathComponent(name).path
            var outcomes: [ReportLanguage: AnalysisOutcome] = [:]
            for (suffix, format, language) in outputs {
                if outcomes[language] == nil { outcomes[language] = analyzer.analyze(path: path, displayPath: name, language: language, heatmap: true) }
                let actual = try analyzer.render(outcomes[language]!, format: format, language: language)
                let expectedPath = expected.appendingPathComponent("\(name).\(suffix)").path
                if update {
                    try AtomicFile.write(actual, to: expectedPath)
                    continue
                }
                guard let wanted = FileManager.default.contents(atPath: expectedPath) else {
                    mismatches.append(Mismatch(file: expectedPath, difference: "missing (run `radlens regress --update` and review the new file)"))
                    continue
                }
                if let difference = format == .text ? compareText(wanted, actual) : compareJSON(wanted, actual, tolerance: tolerance) {
                    mismatches.append(Mismatch(file: expectedPath, difference: difference))
                }
            }
        }
        return (names.count, mismatches)
    }

    static func compareJSON(_ expected: Data, _ actual: Data, tolerance: Double) -> String? {
        guard let a = try? JSONSerialization.jsonObject(with: expected), let b = try? JSONSerialization.jsonObject(with: actual) else {
            return "not valid JSON"
        }
        return compare(a, b, path: "$", tolerance: tolerance)
    }

    static func compare(_ a: Any, _ b: Any, path: String, tolerance: Double) -> String? {
        switch (a, b) {
        case let (x as [String: Any], y as [String: Any]):
            for key in Set(x.keys).union(y.keys).sorted() where !volatileKeys.contains(key) {
                guard let left = x[key], let right = y[key] else { return "\(path).\(key): present in only one of expected and actual" }
                if let difference = compare(left, right, path: "\(path).\(key)", tolerance: tolerance) { return difference }
            }
            return nil
        case let (x as [Any], y as [Any]):
            guard x.count == y.count else { return "\(path): \(x.count) items expected, \(y.count) found" }
            for (index, pair) in zip(x, y).enumerated() {
                if let difference = compare(pair.0, pair.1, path: "\(path)[\(index)]", tolerance: tolerance) { return difference }
            }
            return nil
        case let (x as NSNumber, y as NSNumber):
            return abs(x.doubleValue - y.doubleValue) <= tolerance ? nil : "\(path): expected \(x), found \(y)"
        case let (x as String, y as String):
            return x == y ? nil : "\(path): expected \"\(x.prefix(120))\", found \"\(y.prefix(120))\""
        default:
            return (a as? NSNull != nil && b as? NSNull != nil) ? nil : "\(path): expected \(a), found \(b)"
        }
    }

    /// Line by line; numbers may differ by one unit of their last displayed decimal.
    static func compareText(_ expected: Data, _ actual: Data) -> String? {
        let left = String(decoding: expected, as: UTF8.self).split(separator: "\n", omittingEmptySubsequences: false)
        let right = String(decoding: actual, as: UTF8.self).split(separator: "\n", omittingEmptySubsequences: false)
        for index in 0..<max(left.count, right.count) {
            let x = index < left.count ? String(left[index]) : "", y = index < right.count ? String(right[index]) : ""
            if x == y { continue }
            let numbers = /[0-9]+(\.[0-9]+)?/
            let skeleton: (String) -> String = { $0.replacing(numbers, with: "#") }
            let values: (String) -> [Substring] = { $0.matches(of: numbers).map { $0.output.0 } }
            let close = skeleton(x) == skeleton(y) && zip(values(x), values(y)).allSatisfy { p, q in
                let unit = p.contains(".") ? pow(10, -Double(p.split(separator: ".")[1].count)) : 1
                return abs((Double(p) ?? .nan) - (Double(q) ?? .nan)) <= unit * 1.01
            }
            if !close { return "line \(index + 1):\n  expected: \(x)\n  found:    \(y)" }
        }
        return nil
    }
}
