/// The attributes a report may show: no PHI (see `DICOMPrivacy`).
public struct DICOMMetadata: Sendable, Equatable, Codable {
    public var modality: String?
    public var bodyPartExamined: String?
    /// View Position (0018,5101): PA, AP, LL, ...
    public var viewPosition: String?
    /// Row and column spacing in mm: Pixel Spacing, else Imager Pixel Spacing (nil when absent or zero).
    public var pixelSpacing: [Double]?
    public var studyInstanceUID: String?
    public var seriesInstanceUID: String?
    public var sopInstanceUID: String?
    public var photometricInterpretation: String?
    public var rows: Int?
    public var columns: Int?
    public var frames: Int
    public var bitsStored: Int?
    public var transferSyntaxUID: String
    public var transferSyntaxName: String
}

extension DICOMFile {
    /// The report-safe attributes of the dataset.
    public var metadata: DICOMMetadata {
        let valid: ([Double]) -> Bool = { $0.count == 2 && $0.allSatisfy { $0 > 0 && $0.isFinite } }
        let spacing = dataset.doubles(.pixelSpacing)
        let imagerSpacing = dataset.doubles(.imagerPixelSpacing)
        return DICOMMetadata(
            modality: dataset.string(.modality),
            bodyPartExamined: dataset.string(.bodyPartExamined),
            viewPosition: dataset.string(.viewPosition),
            pixelSpacing: valid(spacing) ? spacing : valid(imagerSpacing) ? imagerSpacing : nil,
            studyInstanceUID: dataset.string(.studyInstanceUID),
            seriesInstanceUID: dataset.string(.seriesInstanceUID),
            sopInstanceUID: dataset.string(.sopInstanceUID),
            photometricInterpretation: dataset.string(.photometricInterpretation),
            rows: dataset.int(.rows),
            columns: dataset.int(.columns),
            frames: dataset.int(.numberOfFrames) ?? 1,
            bitsStored: dataset.int(.bitsStored),
            transferSyntaxUID: transferSyntax.uid,
            transferSyntaxName: transferSyntax.name)
    }
}
