import Foundation
import RadLensModel

/// `index.html` of a batch: a worklist of every input in one table, sortable by any column
/// (click a heading) and filterable, with a thumbnail and links to each input's reports.
/// It is written row by row, so memory stays flat however many inputs there are; rows are
/// plain HTML (readable without script) and the small inline script only sorts and filters.
public enum Worklist {
    /// Links of one row, relative to the output folder.
    public struct Links: Sendable {
        public var report: String
        public var json: String
        public var thumbnail: String?
        public init(report: String, json: String, thumbnail: String?) {
            self.report = report
            self.json = json
            self.thumbnail = thumbnail
        }
    }

    /// Everything before the first row.
    public static func header(title: String, model: AnalysisReport.ModelInfo) -> String {
        HTMLPage.head(title: title, style: """
            #controls { margin: 1em 0; } #filter { width: 24em; padding: .3em; }
            th { cursor: pointer; user-select: none; position: sticky; top: 0; }
            th[aria-sort=ascending]::after { content: " \\25B2"; } th[aria-sort=descending]::after { content: " \\25BC"; }
            td.thumb { padding: 2px; width: 68px; } td.thumb img { max-width: 64px; max-height: 64px; display: block; }
            td.number { text-align: right; font-variant-numeric: tabular-nums; }
            tr.hidden { display: none; }
            """) + """
            <h1>\(HTMLPage.escape(title))</h1>
            <p>Model \(HTMLPage.escape(model.name)) \(HTMLPage.escape(model.version)) &middot; <span id="summary"></span></p>
            <div id="controls"><input id="filter" type="search" placeholder="Filter: path, decision, flag, error..." aria-label="filter rows"> <span id="shown" class="muted"></span></div>
            <table id="worklist">
            <thead><tr><th data-type="text">Image</th><th data-type="text">Input</th><th data-type="text">Status</th>\
            <th data-type="number">Probability</th><th data-type="text">Decision</th><th data-type="text">Flags</th><th data-type="text">Error</th></tr></thead>
            <tbody>

            """
    }

    /// One input's row.
    public static func row(_ report: AnalysisReport, links: Links) -> String {
        let e = HTMLPage.escape
        let finding = report.findings.first
        let probability = finding.map { String(format: "%.4f", $0.probability) } ?? ""
        // An out-of-distribution image gets no assessment, as its report says: never a red "positive".
        let assessed = !report.quality.flags.contains("out-of-distribution")
        let decision = finding.map { assessed ? $0.decision.rawValue : "no assessment" } ?? ""
        let decisionClass = assessed ? decision : "indeterminate"
        let flags = report.quality.flags.joined(separator: ", ")
        let thumbnail = links.thumbnail.map {
            "<img loading=\"lazy\" alt=\"\" src=\"\(HTMLPage.href($0))\" onerror=\"this.remove()\">"
        } ?? ""
        let statusClass = report.status == .error ? " class=\"error\"" : ""
        return "<tr><td class=\"thumb\">\(thumbnail)</td>"
            + "<td><a href=\"\(HTMLPage.href(links.report))\">\(e(report.input.path))</a> <a class=\"muted\" href=\"\(HTMLPage.href(links.json))\">json</a></td>"
            + "<td\(statusClass)>\(report.status.rawValue)</td>"
            + "<td class=\"number\" data-sort=\"\(finding.map { String($0.probability) } ?? "-1")\">\(probability)</td>"
            + "<td class=\"\(decisionClass)\">\(decision)</td><td>\(e(flags))</td><td class=\"error\">\(e(report.error?.message ?? ""))</td></tr>\n"
    }

    /// Everything after the last row.
    public static let footer = """
        </tbody>
        </table>
        <script>
        (function () {
          var table = document.getElementById("worklist"), body = table.tBodies[0];
          var rows = Array.prototype.slice.call(body.rows), filter = document.getElementById("filter");
          function cell(row, i) { var c = row.cells[i]; return c.hasAttribute("data-sort") ? c.getAttribute("data-sort") : c.textContent; }
          function summarise() {
            var counts = { all: rows.length, positive: 0, indeterminate: 0, negative: 0, "no assessment": 0, error: 0, shown: 0 };
            rows.forEach(function (r) {
              var d = r.cells[4].textContent, s = r.cells[2].textContent;
              if (s === "error") counts.error++; else if (counts[d] !== undefined) counts[d]++;
              if (!r.classList.contains("hidden")) counts.shown++;
            });
            document.getElementById("summary").textContent = counts.all + " inputs: " + counts.positive + " positive, " +
              counts.indeterminate + " indeterminate, " + counts.negative + " negative, " + counts["no assessment"] +
              " not assessed (out of distribution), " + counts.error + " errors";
            document.getElementById("shown").textContent = counts.shown === counts.all ? "" : counts.shown + " shown";
          }
          Array.prototype.forEach.call(table.tHead.rows[0].cells, function (th, i) {
            th.addEventListener("click", function () {
              var ascending = th.getAttribute("aria-sort") !== "ascending", numeric = th.getAttribute("data-type") === "number";
              Array.prototype.forEach.call(table.tHead.rows[0].cells, function (other) { other.removeAttribute("aria-sort"); });
              th.setAttribute("aria-sort", ascending ? "ascending" : "descending");
              var keyed = rows.map(function (r, k) { var v = cell(r, i); return [numeric ? parseFloat(v) : v.toLowerCase(), k, r]; });
              keyed.sort(function (a, b) { var c = a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : a[1] - b[1]; return ascending ? c : -c; });
              var fragment = document.createDocumentFragment();
              keyed.forEach(function (k) { fragment.appendChild(k[2]); });
              body.appendChild(fragment);
              rows = keyed.map(function (k) { return k[2]; });
            });
          });
          filter.addEventListener("input", function () {
            var q = filter.value.toLowerCase();
            rows.forEach(function (r) { r.classList.toggle("hidden", q !== "" && r.textContent.toLowerCase().indexOf(q) < 0); });
            summarise();
          });
          summarise();
        })();
        </script>

        """ + HTMLPage.tail
}
