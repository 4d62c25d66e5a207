import RadLensImaging

/// The class activation map overlay as a DICOM Secondary Capture image (RGB, 8-bit), with the
/// findings and "research use only, not for diagnostic use" burned into a band below the image,
/// in a new series of the source's study.
public struct DICOMSecondaryCapture {
    public static let sopClassUID = "1.2.840.10008.5.1.4.1.1.7"

    let header: DICOMResultHeader
    /// The overlay with its burned-in annotation.
    public let annotated: Image

    /// - Parameters:
    ///   - overlay: the heatmap over the input (8-bit RGB; gray is replicated).
    ///   - study: the source's patient and study (nil for PNG or JPEG input).
    public init(report: AnalysisReport, study: DICOMStudyContext?, overlay: Image) {
        header = DICOMResultHeader(kind: "sc", report: report, study: study)
        annotated = BurnedInText.annotate(Self.rgb(overlay), lines: Self.annotation(report))
    }

    /// The SC's SOP Instance UID.
    public var sopInstanceUID: String { header.sopInstanceUID }

    /// The lines burned in: the disclaimer, each finding, the model.
    static func annotation(_ report: AnalysisReport) -> [String] {
        let outOfDistribution = report.quality.flags.contains("out-of-distribution")
        var lines = ["RESEARCH USE ONLY - NOT FOR DIAGNOSTIC USE"]
        for finding in report.findings {
            let percent = String(hundredths: finding.probability * 100)
            lines.append(outOfDistribution ? "\(finding.display): NO ASSESSMENT (OUTSIDE INTENDED USE)"
                                           : "\(finding.display): \(percent)% \(finding.decision.rawValue)")
        }
        lines.append("RADLENS \(report.provenance.radlensVersion), MODEL \(report.model?.name ?? "") \(report.model?.version ?? "")")
        return lines
    }

    /// The Part 10 file.
    public func file() -> [UInt8] {
        var dataset = DICOMDatasetBuilder()
        header.fill(&dataset, sopClassUID: Self.sopClassUID, modality: "OT", seriesNumber: 9902,
                    seriesDescription: "RadLens AI heatmap, research use only")
        dataset.set("ConversionType", "WSD")
        dataset.set("ImageType", ["DERIVED", "SECONDARY"])
        dataset.set("PatientOrientation", "")
        dataset.set("Laterality", "")
        dataset.set("BurnedInAnnotation", "YES")
        dataset.set("LossyImageCompression", "00")
        dataset.set("DerivationDescription", "Class activation map of model \(header.modelName) over the downsampled source; findings burned in")
        if let study = header.study, let sopClass = study.sopClassUID, let sopInstance = study.sopInstanceUID {
            var source = DICOMStructuredReport.sopReference(sopClass, sopInstance)
            source.set("PurposeOfReferenceCodeSequence", items: [CodedConcept("121320", "DCM", "Uncompressed predecessor").item])
            dataset.set("SourceImageSequence", items: [source])
        }
        dataset.set("SamplesPerPixel", uint16: 3)
        dataset.set("PhotometricInterpretation", "RGB")
        dataset.set("PlanarConfiguration", uint16: 0)
        dataset.set("Rows", uint16: UInt16(annotated.height))
        dataset.set("Columns", uint16: UInt16(annotated.width))
        dataset.set("BitsAllocated", uint16: 8)
        dataset.set("BitsStored", uint16: 8)
        dataset.set("HighBit", uint16: 7)
        dataset.set("PixelRepresentation", uint16: 0)
        if case .uint8(let samples) = annotated.pixels { dataset.set("PixelData", bytes: samples) }
        return DICOMFileWriter.file(dataset, sopClassUID: Self.sopClassUID, sopInstanceUID: header.sopInstanceUID)
    }

    /// `image` as 8-bit RGB (gray replicated).
    static func rgb(_ image: Image) -> Image {
        if image.channels == 3, image.bitDepth == 8 { return image }
        var rgb = [UInt8](repeating: 0, count: image.pixelCount * 3)
        let shift = max(0, image.bitDepth - 8)
        for pixel in 0..<image.pixelCount {
            for channel in 0..<3 {
                rgb[pixel * 3 + channel] = UInt8(truncatingIfNeeded: image.pixels[pixel * image.channels + (image.channels >= 3 ? channel : 0)] >> shift)
            }
        }
        return Image(width: image.width, height: image.height, channels: 3, pixels: .uint8(rgb), source: image.source)
    }
}

private extension String {
    /// `value` (not negative) with two decimals.
    init(hundredths value: Double) {
        let hundredths = Int((value * 100).rounded())
        self = "\(hundredths / 100)." + (hundredths % 100 < 10 ? "0" : "") + "\(hundredths % 100)"
    }
}
