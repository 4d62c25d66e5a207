import Foundation

/// `radlens evaluate --report FILE.html`: one self-contained page with the ROC curve and its
/// bootstrap band, the reliability diagram, the confusion matrix, the figures with confidence
/// intervals, and thumbnails with heatmaps of the misclassified images.
public struct EvaluationPage: Sendable {
    /// A figure with its 95% confidence interval.
    public struct Figure: Sendable {
        public var name: String
        public var value: Double
        public var low: Double
        public var high: Double
        public init(name: String, value: Double, low: Double, high: Double) {
            self.name = name
            self.value = value
            self.low = low
            self.high = high
        }
    }

    /// One calibration bin: mean predicted probability against the observed positive rate.
    public struct CalibrationBin: Sendable {
        public var meanProbability: Double
        public var observedRate: Double
        public var count: Int
        public init(meanProbability: Double, observedRate: Double, count: Int) {
            self.meanProbability = meanProbability
            self.observedRate = observedRate
            self.count = count
        }
    }

    /// One evaluated image: its path, true class and predicted probability of the positive class.
    public struct Prediction: Sendable {
        public var path: String
        public var truth: String
        public var probability: Double
        public init(path: String, truth: String, probability: Double) {
            self.path = path
            self.truth = truth
            self.probability = probability
        }
    }

    /// A misclassified image, with its previews.
    public struct Case: Sendable {
        public var prediction: Prediction
        public var imagePNG: [UInt8]
        public var heatmapPNG: [UInt8]?
        public init(prediction: Prediction, imagePNG: [UInt8], heatmapPNG: [UInt8]?) {
            self.prediction = prediction
            self.imagePNG = imagePNG
            self.heatmapPNG = heatmapPNG
        }
    }

    public var directory: String
    public var model: AnalysisReport.ModelInfo
    public var generatedAt: String
    /// Names of the negative and the positive class, as the confusion matrix shows them.
    public var classNames: (negative: String, positive: String)
    public var threshold: Double
    public var n: Int
    public var figures: [Figure]
    public var bootstrapResamples: Int
    /// [[tn, fp], [fn, tp]].
    public var confusion: [[Int]]
    /// ROC curve (x: 1 - specificity, y: sensitivity), its band and the operating point.
    public var roc: [SVGChart.Point]
    public var rocBandLower: [SVGChart.Point]
    public var rocBandUpper: [SVGChart.Point]
    public var operatingPoint: SVGChart.Point
    public var calibration: [CalibrationBin]
    /// The misclassified images shown, most confidently wrong first, and how many there are in all.
    public var misclassified: [Case]
    public var misclassifiedTotal: Int
    /// Every image evaluated, in evaluation order.
    public var predictions: [Prediction]
    public var failures: [String]

    public init(directory: String, model: AnalysisReport.ModelInfo, generatedAt: String, classNames: (negative: String, positive: String),
                threshold: Double, n: Int, figures: [Figure], bootstrapResamples: Int, confusion: [[Int]], roc: [SVGChart.Point],
                rocBandLower: [SVGChart.Point], rocBandUpper: [SVGChart.Point], operatingPoint: SVGChart.Point,
                calibration: [CalibrationBin], misclassified: [Case], misclassifiedTotal: Int, predictions: [Prediction], failures: [String]) {
        self.directory = directory
        self.model = model
        self.generatedAt = generatedAt
        self.classNames = classNames
        self.threshold = threshold
        self.n = n
        self.figures = figures
        self.bootstrapResamples = bootstrapResamples
        self.confusion = confusion
        self.roc = roc
        self.rocBandLower = rocBandLower
        self.rocBandUpper = rocBandUpper
        self.operatingPoint = operatingPoint
        self.calibration = calibration
        self.misclassified = misclassified
        self.misclassifiedTotal = misclassifiedTotal
        self.predictions = predictions
        self.failures = failures
    }

    /// The page.
    public func html() -> String {
        let e = HTMLPage.escape
        var page = HTMLPage.head(title: "RadLens evaluation: \(directory)", style: """
            .charts { display: flex; flex-wrap: wrap; gap: 2em; } .charts figure { margin: 0; }
            figcaption { max-width: 360px; font-size: .9em; color: #444; }
            td.number { text-align: right; font-variant-numeric: tabular-nums; }
            .cases { display: flex; flex-wrap: wrap; gap: 1em; } .cases figure { margin: 0; width: 200px; }
            .cases img { width: 200px; border: 1px solid #ccc; }
            """)
        page += "<h1>RadLens evaluation</h1>\n"
        page += "<p>\(e(directory)) &middot; \(n) images &middot; model \(e(model.name)) \(e(model.version)) &middot; decision threshold \(format(threshold, 3)) &middot; \(e(generatedAt))</p>\n"
        page += "<h2>Figures</h2>\n<table id=\"figures\">\n<tr><th>Figure</th><th>Value</th><th>95% CI</th></tr>\n"
        for figure in figures {
            page += "<tr><td>\(e(figure.name))</td><td class=\"number\">\(format(figure.value, 4))</td><td class=\"number\">\(format(figure.low, 4)) &ndash; \(format(figure.high, 4))</td></tr>\n"
        }
        page += "</table>\n<p class=\"muted\">Confidence intervals: percentile bootstrap over \(bootstrapResamples) resamples of the images.</p>\n"
        page += "<div class=\"charts\">\n<figure id=\"roc\">\(rocChart())<figcaption>ROC curve with its 95% bootstrap band; the dot is the operating point at threshold \(format(threshold, 3)). The dashed line is chance.</figcaption></figure>\n"
        page += "<figure id=\"reliability\">\(reliabilityChart())<figcaption>Reliability diagram: observed rate of \(e(classNames.positive)) against the mean predicted probability, in 15 equal-width bins (dot area and number: images in the bin; bins of few images swing widely). On the dashed line the probabilities are calibrated.</figcaption></figure>\n</div>\n"
        page += confusionTable()
        page += "<h2>Misclassified images</h2>\n"
        if misclassifiedTotal == 0 {
            page += "<p>None at threshold \(format(threshold, 3)).</p>\n"
        } else {
            let shown = misclassified.count < misclassifiedTotal ? " (the \(misclassified.count) most confidently wrong are shown)" : ""
            page += "<p>\(misclassifiedTotal) of \(n) images\(shown). The heatmap shows where the model looked.</p>\n<div class=\"cases\">\n"
            for item in misclassified {
                let picture = HTMLPage.dataURI(png: item.heatmapPNG ?? item.imagePNG), row = item.prediction
                page += "<figure class=\"case\"><img alt=\"\(e(row.path))\" src=\"\(picture)\"><figcaption>\(e(row.path))<br>truth \(e(row.truth)), p(\(e(classNames.positive))) = \(format(row.probability, 3))</figcaption></figure>\n"
            }
            page += "</div>\n"
        }
        page += "<details id=\"predictions\"><summary>All \(predictions.count) images</summary>\n<table>\n<tr><th>Image</th><th>Truth</th><th>p(\(e(classNames.positive)))</th><th>Predicted</th></tr>\n"
        for row in predictions {
            let predicted = row.probability >= threshold ? classNames.positive : classNames.negative
            let wrong = predicted != row.truth ? " class=\"error\"" : ""
            page += "<tr\(wrong)><td>\(e(row.path))</td><td>\(e(row.truth))</td><td class=\"number\">\(format(row.probability, 4))</td><td>\(e(predicted))</td></tr>\n"
        }
        page += "</table>\n</details>\n"
        if !failures.isEmpty {
            page += "<h2>Not analysed</h2>\n<ul>\n" + failures.map { "<li class=\"error\">\(e($0))</li>\n" }.joined() + "</ul>\n"
        }
        page += "<p class=\"muted\">Model sha256 \(e(model.sha256)).</p>\n"
        return page + HTMLPage.tail
    }

    private func rocChart() -> String {
        var chart = SVGChart(xLabel: "1 - specificity", yLabel: "sensitivity")
        chart.line([SVGChart.Point(x: 0, y: 0), SVGChart.Point(x: 1, y: 1)], colour: "#999", width: 1, dashed: true)
        chart.band(lower: rocBandLower, upper: rocBandUpper, colour: "#1f77b4")
        chart.line(roc, colour: "#1f77b4")
        chart.dots([(operatingPoint, 5, String(format: "sensitivity %.3f, specificity %.3f", operatingPoint.y, 1 - operatingPoint.x))], colour: "#b00020")
        return chart.svg(label: "ROC curve")
    }

    private func reliabilityChart() -> String {
        var chart = SVGChart(xLabel: "mean predicted probability", yLabel: "observed rate")
        chart.line([SVGChart.Point(x: 0, y: 0), SVGChart.Point(x: 1, y: 1)], colour: "#999", width: 1, dashed: true)
        let filled = calibration.filter { $0.count > 0 }
        chart.line(filled.map { SVGChart.Point(x: $0.meanProbability, y: $0.observedRate) }, colour: "#2c7d2c", width: 1.5)
        let largest = Double(filled.map(\.count).max() ?? 1)
        chart.dots(filled.map { bin in
            (SVGChart.Point(x: bin.meanProbability, y: bin.observedRate), 2.5 + 7 * (Double(bin.count) / largest).squareRoot(),
             String(format: "%d images: predicted %.3f, observed %.3f", bin.count, bin.meanProbability, bin.observedRate))
        }, colour: "#2c7d2c")
        for bin in filled {
            chart.label("\(bin.count)", at: SVGChart.Point(x: bin.meanProbability, y: bin.observedRate),
                        offset: 5 + 7 * (Double(bin.count) / largest).squareRoot())
        }
        return chart.svg(label: "Reliability diagram")
    }

    private func confusionTable() -> String {
        let e = HTMLPage.escape
        let (negative, positive) = (e(classNames.negative), e(classNames.positive))
        return """
            <h2>Confusion matrix</h2>
            <table id="confusion">
            <tr><th></th><th>predicted \(negative)</th><th>predicted \(positive)</th></tr>
            <tr><th>true \(negative)</th><td class="number">\(confusion[0][0])</td><td class="number">\(confusion[0][1])</td></tr>
            <tr><th>true \(positive)</th><td class="number">\(confusion[1][0])</td><td class="number">\(confusion[1][1])</td></tr>
            </table>

            """
    }

    private func format(_ value: Double, _ digits: Int) -> String {
        value.isNaN ? "n/a" : String(format: "%.\(digits)f", value)
    }
}
