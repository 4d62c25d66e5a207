import Foundation
import RadLensTestSupport
import Testing

/// The pages people look at: the batch worklist and the evaluation page hold every input and
/// open without a network (no external URL; every link and image is in the output folder or
/// embedded).
@Suite struct ReportPagesTests {
    /// Every `src` and `href` value of a page.
    static func references(in html: String) -> [String] {
        html.matches(of: /(?:src|href)="([^"]*)"/).map { String($0.output.1) }
    }

    /// Fails for anything that would reach outside: a scheme other than data:, a protocol-relative
    /// or absolute URL, CSS imports or url() loads.
    static func expectSelfContained(_ html: String, _ name: String) {
        for reference in references(in: html) where !reference.hasPrefix("data:image/png;base64,") {
            #expect(!reference.contains("://") && !reference.hasPrefix("/") && !reference.hasPrefix("data:"),
                    "\(name) refers outside its folder: \(reference.prefix(80))")
        }
        #expect(!html.contains("http://") && !html.contains("https://"), "\(name) holds a URL")
        #expect(!html.contains("@import") && !html.contains("url("), "\(name) loads a stylesheet resource")
        #expect(html.contains("Research use only, not for diagnostic use."))
    }

    @Test func batchWorklistListsEveryInputWithWorkingLinks() throws {
        let input = try makeBatchInput()
        let output = try TestPaths.temporaryDirectory("worklist")
        _ = try radlens(["batch", input.path, "--output", output.path, "--model", shippedModel, "--quiet", "--format", "json,html",
                         "--include", "*.png", "--include", "*.jpeg"])
        let html = try String(contentsOf: output.appendingPathComponent("index.html"), encoding: .utf8)
        Self.expectSelfContained(html, "index.html")
        let results = try String(contentsOf: output.appendingPathComponent("results.jsonl"), encoding: .utf8).split(separator: "\n")
        #expect(results.count == 20)
        #expect(html.components(separatedBy: "<tr><td class=\"thumb\">").count - 1 == results.count, "one row per input")
        var outOfDistribution = 0
        for line in results {
            let result = try JSON(Data(line.utf8))
            let path = try result["input"]["path"].string()
            #expect(html.contains(">\(path)</a>"), "\(path) is in the worklist")
            if (try? result["quality"]["flags"].strings())?.contains("out-of-distribution") == true { outOfDistribution += 1 }
        }
        // As in the reports: an image unlike the training data gets no assessment, not a decision.
        #expect(html.components(separatedBy: ">no assessment</td>").count - 1 == outOfDistribution)
        // Every link and thumbnail resolves to a file the batch wrote; 18 inputs decoded, 18 thumbnails.
        let references = Self.references(in: html)
        for reference in references {
            let path = output.appendingPathComponent(try #require(reference.removingPercentEncoding)).path
            #expect(FileManager.default.fileExists(atPath: path), "\(reference) is missing")
        }
        #expect(references.filter { $0.hasSuffix(".thumb.png") }.count == 18)
        #expect(references.filter { $0.hasSuffix(".html") }.count == 20)
        #expect(html.contains("id=\"filter\"") && html.contains("aria-sort"), "sortable and filterable")
    }

    @Test func hostileFileNamesAreEscapedAndCannotBecomeLinksElsewhere() throws {
        let input = try TestPaths.temporaryDirectory("hostile")
        let name = "javascript:alert(1) <b>\"x\"\u{301}&copy.png"
        try FileManager.default.copyItem(at: TestPaths.fixture("valid/rgb8.png"), to: input.appendingPathComponent(name))
        let output = try TestPaths.temporaryDirectory("hostile-out")
        #expect(try radlens(["batch", input.path, "--output", output.path, "--model", shippedModel, "--quiet"]).status == 0)
        let html = try String(contentsOf: output.appendingPathComponent("index.html"), encoding: .utf8)
        #expect(!html.contains("<b>") && !html.contains("href=\"javascript:"), "the name is escaped and percent-encoded")
        #expect(html.contains("&lt;b&gt;&quot;x&quot;\u{301}&amp;copy.png"))
        for reference in Self.references(in: html) {
            let path = output.appendingPathComponent(try #require(reference.removingPercentEncoding)).path
            #expect(FileManager.default.fileExists(atPath: path), "\(reference) resolves")
        }
    }

    @Test func mergedWorklistLinksIntoTheShardFolders() throws {
        let input = try makeBatchInput(copies: 2)
        let root = try TestPaths.temporaryDirectory("worklist-shards")
        let shards = (0..<2).map { root.appendingPathComponent("shard-\($0)").path }
        for (index, shard) in shards.enumerated() {
            _ = try radlens(["batch", input.path, "--output", shard, "--model", shippedModel, "--quiet", "--shard", "\(index)/2",
                             "--include", "*.png", "--include", "*.jpeg"])
        }
        let merged = root.appendingPathComponent("merged")
        #expect(try radlens(["merge"] + shards + ["--output", merged.path]).status == 0)
        let html = try String(contentsOf: merged.appendingPathComponent("index.html"), encoding: .utf8)
        Self.expectSelfContained(html.replacingOccurrences(of: "href=\"../", with: "href=\"").replacingOccurrences(of: "src=\"../", with: "src=\""),
                                 "merged index.html")
        let references = Self.references(in: html)
        #expect(references.count >= 2 * 14, "links and thumbnails of 14 inputs")
        for reference in references {
            #expect(reference.hasPrefix("../shard-"))
            let path = merged.appendingPathComponent(try #require(reference.removingPercentEncoding)).standardizedFileURL.path
            #expect(FileManager.default.fileExists(atPath: path), "\(reference) is missing")
        }
    }

    /// A small labelled folder of the committed samples: the two normal and the two pneumonia
    /// children, plus the adult film filed as pneumonia, which the model misses (p = 0.495).
    static func labelledSamples() throws -> URL {
        let root = try TestPaths.temporaryDirectory("labelled")
        let samples = TestPaths.repository.appendingPathComponent("SampleImages")
        let files = ["NORMAL": ["child-normal-IM-0061-0001.jpeg", "child-normal-NORMAL2-IM-0312-0001.jpeg"],
                     "PNEUMONIA": ["child-pneumonia-person38_virus_84.jpeg", "child-pneumonia-person56_virus_112.jpeg", "chest-pa-cr.jpeg"]]
        for (folder, names) in files {
            try FileManager.default.createDirectory(at: root.appendingPathComponent(folder), withIntermediateDirectories: true)
            for name in names {
                try FileManager.default.copyItem(at: samples.appendingPathComponent(name), to: root.appendingPathComponent("\(folder)/\(name)"))
            }
        }
        return root
    }

    @Test func evaluationPageHoldsTheFiguresTheChartsAndEveryImage() throws {
        let data = try Self.labelledSamples()
        let page = data.appendingPathComponent("evaluation.html")
        let result = try radlens(["evaluate", data.path, "--model", shippedModel, "--format", "json", "--report", page.path])
        #expect(result.status == 0, "\(result.stderr)")
        let figures = try JSON(result.stdout)
        let html = try String(contentsOf: page, encoding: .utf8)
        Self.expectSelfContained(html, "evaluation.html")
        for name in ["child-normal-IM-0061-0001.jpeg", "child-normal-NORMAL2-IM-0312-0001.jpeg", "child-pneumonia-person38_virus_84.jpeg",
                     "child-pneumonia-person56_virus_112.jpeg", "chest-pa-cr.jpeg"] {
            #expect(html.contains(name), "\(name) is on the page")
        }
        #expect(html.contains(String(format: "<td class=\"number\">%.4f</td>", try figures["auroc"].double())), "the AUROC evaluate printed")
        let confusion = try figures["confusion"].array().map { try $0.ints() }
        for count in confusion.joined() { #expect(html.contains("<td class=\"number\">\(count)</td>")) }
        #expect(html.contains("aria-label=\"ROC curve\"") && html.contains("aria-label=\"Reliability diagram\""))
        #expect(html.contains("<polygon"), "the ROC curve's bootstrap band")
        let wrong = confusion[0][1] + confusion[1][0]
        #expect(wrong >= 1, "the adult film is missed")
        #expect(html.components(separatedBy: "<figure class=\"case\"><img").count - 1 == wrong, "a heatmap per misclassified image")
    }
}
