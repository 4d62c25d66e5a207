import Foundation

/// A small square chart over the unit square [0, 1]² as inline SVG: grid, ticks every 0.2,
/// axis labels, and layers (bands, lines, points) drawn in the order they are added.
public struct SVGChart: Sendable {
    public struct Point: Sendable, Equatable {
        public var x: Double
        public var y: Double
        public init(x: Double, y: Double) {
            self.x = x
            self.y = y
        }
    }

    let xLabel: String
    let yLabel: String
    let size: Double
    private let margin = (left: 52.0, bottom: 44.0, top: 12.0, right: 12.0)
    private var layers: [String] = []

    public init(xLabel: String, yLabel: String, size: Double = 360) {
        self.xLabel = xLabel
        self.yLabel = yLabel
        self.size = size
    }

    private var plot: Double { size - margin.left - margin.right }

    private func px(_ p: Point) -> String {
        let x = margin.left + min(max(p.x, 0), 1) * plot
        let y = margin.top + (1 - min(max(p.y, 0), 1)) * plot
        return String(format: "%.1f,%.1f", x, y)
    }

    /// A shaded band between `lower` and `upper` (same x values, increasing).
    public mutating func band(lower: [Point], upper: [Point], colour: String) {
        guard !lower.isEmpty, lower.count == upper.count, !(lower + upper).contains(where: { $0.x.isNaN || $0.y.isNaN }) else { return }
        let outline = (upper + lower.reversed()).map(px).joined(separator: " ")
        layers.append("<polygon points=\"\(outline)\" fill=\"\(colour)\" fill-opacity=\"0.25\" stroke=\"none\"/>")
    }

    /// A polyline through `points`.
    public mutating func line(_ points: [Point], colour: String, width: Double = 2, dashed: Bool = false) {
        guard !points.isEmpty else { return }
        let dash = dashed ? " stroke-dasharray=\"5,4\"" : ""
        layers.append("<polyline points=\"\(points.map(px).joined(separator: " "))\" fill=\"none\" stroke=\"\(colour)\" stroke-width=\"\(width)\"\(dash)/>")
    }

    /// Dots at `points`, each with its radius and a tooltip.
    public mutating func dots(_ points: [(point: Point, radius: Double, tooltip: String)], colour: String) {
        for dot in points {
            let xy = px(dot.point).split(separator: ",")
            layers.append("<circle cx=\"\(xy[0])\" cy=\"\(xy[1])\" r=\"\(String(format: "%.1f", dot.radius))\" fill=\"\(colour)\" fill-opacity=\"0.8\"><title>\(HTMLPage.escape(dot.tooltip))</title></circle>")
        }
    }

    /// Small text centred above `point`, `offset` pixels up.
    public mutating func label(_ text: String, at point: Point, offset: Double) {
        let xy = px(point).split(separator: ",")
        layers.append("<text x=\"\(xy[0])\" y=\"\(String(format: "%.1f", Double(xy[1])! - offset))\" text-anchor=\"middle\" font-size=\"9\" fill=\"#555\">\(HTMLPage.escape(text))</text>")
    }

    /// The chart as an `<svg>` element; `label` names it for screen readers.
    public func svg(label: String) -> String {
        var grid = ""
        for step in 0...5 {
            let t = Double(step) / 5
            let tick = String(format: "%.1f", t)
            let vertical = [Point(x: t, y: 0), Point(x: t, y: 1)].map(px).joined(separator: " ")
            let horizontal = [Point(x: 0, y: t), Point(x: 1, y: t)].map(px).joined(separator: " ")
            grid += "<polyline points=\"\(vertical)\" stroke=\"#ddd\"/><polyline points=\"\(horizontal)\" stroke=\"#ddd\"/>"
            let bottom = px(Point(x: t, y: 0)).split(separator: ","), left = px(Point(x: 0, y: t)).split(separator: ",")
            grid += "<text x=\"\(bottom[0])\" y=\"\(Double(bottom[1])! + 16)\" text-anchor=\"middle\">\(tick)</text>"
            grid += "<text x=\"\(Double(left[0])! - 6)\" y=\"\(Double(left[1])! + 4)\" text-anchor=\"end\">\(tick)</text>"
        }
        let frame = [Point(x: 0, y: 0), Point(x: 1, y: 0), Point(x: 1, y: 1), Point(x: 0, y: 1), Point(x: 0, y: 0)].map(px).joined(separator: " ")
        let middle = margin.top + plot / 2
        return """
            <svg width="\(Int(size))" height="\(Int(size))" viewBox="0 0 \(Int(size)) \(Int(size))" \
            role="img" aria-label="\(HTMLPage.escape(label))" font-family="system-ui, sans-serif" font-size="11">\
            \(grid)<polyline points="\(frame)" fill="none" stroke="#888"/>\(layers.joined())\
            <text x="\(margin.left + plot / 2)" y="\(size - 8)" text-anchor="middle" font-size="12">\(HTMLPage.escape(xLabel))</text>\
            <text x="14" y="\(middle)" text-anchor="middle" font-size="12" transform="rotate(-90 14 \(middle))">\(HTMLPage.escape(yLabel))</text>\
            </svg>
            """
    }
}
