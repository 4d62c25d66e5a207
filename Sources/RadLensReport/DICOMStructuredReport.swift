import RadLensImaging
import RadLensModel

/// A report as a DICOM Comprehensive 3D SR with TID 1500 (Measurement Report) as its root, the
/// form IHE AI Results (AIR) gives qualitative AI findings:
///
/// ```
/// CONTAINER Imaging Measurement Report (TID 1500)
///   language en-US; observer: the device (RadLens and the model); procedure reported
///   CONTAINER Image Library → Image Library Group → IMAGE the source instance
///   CONTAINER Imaging Measurements
///     CONTAINER Measurement Group (TID 1501), one per finding:
///       tracking id and UID, Finding = the finding's code,
///       algorithm name, version, parameters (model sha256) (TID 4019),
///       NUM Certainty of Finding = the probability in %, CODE finding = present / absent / indeterminate
///   CONTAINER Qualitative Evaluations: TEXT comments ("research use only"; why an input was not assessed)
/// ```
/// The document is UNVERIFIED and PRELIMINARY; the patient and study come from the source.
public struct DICOMStructuredReport {
    public static let sopClassUID = "1.2.840.10008.5.1.4.1.1.88.34"

    let header: DICOMResultHeader

    /// - Parameter study: the source's patient and study (nil for PNG or JPEG input).
    public init(report: AnalysisReport, study: DICOMStudyContext?) {
        header = DICOMResultHeader(kind: "sr", report: report, study: study)
    }

    /// The SR's SOP Instance UID.
    public var sopInstanceUID: String { header.sopInstanceUID }

    /// The Part 10 file.
    public func file() -> [UInt8] {
        var dataset = DICOMDatasetBuilder()
        header.fill(&dataset, sopClassUID: Self.sopClassUID, modality: "SR", seriesNumber: 9901,
                    seriesDescription: "RadLens AI result, research use only")
        dataset.set("ReferencedPerformedProcedureStepSequence", items: [])
        dataset.set("CompletionFlag", "COMPLETE")
        dataset.set("PreliminaryFlag", "PRELIMINARY")
        dataset.set("VerificationFlag", "UNVERIFIED")
        dataset.set("PerformedProcedureCodeSequence", items: [])
        if let evidence = currentRequestedProcedureEvidence { dataset.set("CurrentRequestedProcedureEvidenceSequence", items: [evidence]) }
        // The root content item.
        dataset.set("ValueType", "CONTAINER")
        dataset.set("ConceptNameCodeSequence", items: [CodedConcept("126000", "DCM", "Imaging Measurement Report").item])
        dataset.set("ContinuityOfContent", "SEPARATE")
        dataset.set("ContentTemplateSequence", items: [Self.template("1500")])
        dataset.set("ContentSequence", items: rootContent)
        return DICOMFileWriter.file(dataset, sopClassUID: Self.sopClassUID, sopInstanceUID: header.sopInstanceUID)
    }

    private var report: AnalysisReport { header.report }
    private var study: DICOMStudyContext? { header.study }

    /// The source instance, when the input was DICOM with SOP Class and Instance UIDs.
    private var sourceInstance: (sopClass: String, sopInstance: String, series: String)? {
        guard let study, let sopClass = study.sopClassUID, let sopInstance = study.sopInstanceUID, let series = study.seriesInstanceUID else { return nil }
        return (sopClass, sopInstance, series)
    }

    private var currentRequestedProcedureEvidence: DICOMDatasetBuilder? {
        guard let source = sourceInstance else { return nil }
        var series = DICOMDatasetBuilder()
        series.set("SeriesInstanceUID", source.series)
        series.set("ReferencedSOPSequence", items: [Self.sopReference(source.sopClass, source.sopInstance)])
        var item = DICOMDatasetBuilder()
        item.set("StudyInstanceUID", header.studyInstanceUID)
        item.set("ReferencedSeriesSequence", items: [series])
        return item
    }

    private var rootContent: [DICOMDatasetBuilder] {
        var items: [DICOMDatasetBuilder] = [
            SRItem.code(.hasConceptModifier, CodedConcept("121049", "DCM", "Language of Content Item and Descendants"),
                        CodedConcept("en-US", "RFC5646", "English (United States)")),
            // Observer context (TID 1002/1004): the device.
            SRItem.code(.hasObservationContext, CodedConcept("121005", "DCM", "Observer Type"), CodedConcept("121007", "DCM", "Device")),
            SRItem.uidReference(.hasObservationContext, CodedConcept("121012", "DCM", "Device Observer UID"), header.deviceUID),
            SRItem.text(.hasObservationContext, CodedConcept("121013", "DCM", "Device Observer Name"), "RadLens"),
            SRItem.text(.hasObservationContext, CodedConcept("121014", "DCM", "Device Observer Manufacturer"), "RadLens"),
            SRItem.text(.hasObservationContext, CodedConcept("121015", "DCM", "Device Observer Model Name"), header.modelName),
            SRItem.code(.hasConceptModifier, CodedConcept("121058", "DCM", "Procedure reported"), CodedConcept("363679005", "SCT", "Imaging procedure")),
        ]
        var libraryGroup: [DICOMDatasetBuilder] = []
        if let source = sourceInstance { libraryGroup.append(SRItem.image(.contains, nil, source.sopClass, source.sopInstance)) }
        let group = SRItem.container(.contains, CodedConcept("126200", "DCM", "Image Library Group"), libraryGroup)
        items.append(SRItem.container(.contains, CodedConcept("111028", "DCM", "Image Library"), libraryGroup.isEmpty ? [] : [group]))
        items.append(SRItem.container(.contains, CodedConcept("126010", "DCM", "Imaging Measurements"), report.findings.map(measurementGroup)))
        var comments = [AnalysisReport.disclaimer]
        if isOutOfDistribution {
            comments.append("No assessment: the input is outside the model's intended use (out-of-distribution); findings are indeterminate.")
        }
        items.append(SRItem.container(.contains, CodedConcept("C0034375", "UMLS", "Qualitative Evaluations"),
                                      comments.map { SRItem.text(.contains, CodedConcept("121106", "DCM", "Comment"), $0) }))
        return items
    }

    private var isOutOfDistribution: Bool { report.quality.flags.contains("out-of-distribution") }

    /// The finding's code: its first code with a DICOM coding scheme, else a RadLens-local one.
    static func findingCode(_ finding: AnalysisReport.Finding) -> CodedConcept {
        finding.codes.lazy.compactMap(CodedConcept.init).first ?? CodedConcept(String(finding.label.prefix(16)), "99RADLENS", finding.display)
    }

    /// What the SR states about `finding`: an out-of-distribution input is indeterminate.
    public static func qualitativeValue(_ decision: Decision, outOfDistribution: Bool) -> (code: String, meaning: String) {
        switch outOfDistribution ? .indeterminate : decision {
        case .positive: ("52101004", "Present")
        case .negative: ("2667000", "Absent")
        case .indeterminate: ("82334004", "Indeterminate")
        }
    }

    /// One TID 1501 measurement group.
    private func measurementGroup(_ finding: AnalysisReport.Finding) -> DICOMDatasetBuilder {
        let code = Self.findingCode(finding)
        let algorithm = [
            SRItem.text(.hasConceptModifier, CodedConcept("111001", "DCM", "Algorithm Name"), "RadLens \(header.modelName)"),
            SRItem.text(.hasConceptModifier, CodedConcept("111003", "DCM", "Algorithm Version"), report.model?.version ?? ""),
            SRItem.text(.hasConceptModifier, CodedConcept("111002", "DCM", "Algorithm Parameters"), "model sha256 \(header.modelSHA256)"),
        ]
        var items = [
            SRItem.text(.hasObservationContext, CodedConcept("112039", "DCM", "Tracking Identifier"), finding.label),
            SRItem.uidReference(.hasObservationContext, CodedConcept("112040", "DCM", "Tracking Unique Identifier"),
                                DICOMUID.derived("sr", "tracking", finding.label, header.inputSHA256, header.modelSHA256)),
            SRItem.code(.contains, CodedConcept("121071", "DCM", "Finding"), code),
        ] + algorithm
        if let source = sourceInstance {
            items.append(SRItem.image(.contains, CodedConcept("121112", "DCM", "Source of Measurement"), source.sopClass, source.sopInstance))
        }
        let percent = (finding.probability * 100 * 1e4).rounded() / 1e4
        items.append(SRItem.number(.contains, CodedConcept("111012", "DCM", "Certainty of Finding"), percent, units: CodedConcept("%", "UCUM", "Percent")))
        let value = Self.qualitativeValue(finding.decision, outOfDistribution: isOutOfDistribution)
        items.append(SRItem.code(.contains, code, CodedConcept(value.code, "SCT", value.meaning)))
        var group = SRItem.container(.contains, CodedConcept("125007", "DCM", "Measurement Group"), items)
        group.set("ContentTemplateSequence", items: [Self.template("1501")])
        return group
    }

    static func template(_ identifier: String) -> DICOMDatasetBuilder {
        var item = DICOMDatasetBuilder()
        item.set("MappingResource", "DCMR")
        item.set("TemplateIdentifier", identifier)
        return item
    }

    static func sopReference(_ sopClass: String, _ sopInstance: String) -> DICOMDatasetBuilder {
        var item = DICOMDatasetBuilder()
        item.set("ReferencedSOPClassUID", sopClass)
        item.set("ReferencedSOPInstanceUID", sopInstance)
        return item
    }
}

/// Content items of an SR tree (PS3.3 C.17.3), one builder per value type.
enum SRItem {
    enum Relationship: String {
        case contains = "CONTAINS"
        case hasObservationContext = "HAS OBS CONTEXT"
        case hasConceptModifier = "HAS CONCEPT MOD"
    }

    private static func item(_ relationship: Relationship, _ valueType: String, _ concept: CodedConcept?) -> DICOMDatasetBuilder {
        var item = DICOMDatasetBuilder()
        item.set("RelationshipType", relationship.rawValue)
        item.set("ValueType", valueType)
        if let concept { item.set("ConceptNameCodeSequence", items: [concept.item]) }
        return item
    }

    static func container(_ relationship: Relationship, _ concept: CodedConcept, _ children: [DICOMDatasetBuilder]) -> DICOMDatasetBuilder {
        var container = item(relationship, "CONTAINER", concept)
        container.set("ContinuityOfContent", "SEPARATE")
        if !children.isEmpty { container.set("ContentSequence", items: children) }
        return container
    }

    static func code(_ relationship: Relationship, _ concept: CodedConcept, _ value: CodedConcept) -> DICOMDatasetBuilder {
        var code = item(relationship, "CODE", concept)
        code.set("ConceptCodeSequence", items: [value.item])
        return code
    }

    static func text(_ relationship: Relationship, _ concept: CodedConcept, _ value: String) -> DICOMDatasetBuilder {
        var text = item(relationship, "TEXT", concept)
        text.set("TextValue", value)
        return text
    }

    static func uidReference(_ relationship: Relationship, _ concept: CodedConcept, _ uid: String) -> DICOMDatasetBuilder {
        var reference = item(relationship, "UIDREF", concept)
        reference.set("UID", uid)
        return reference
    }

    static func number(_ relationship: Relationship, _ concept: CodedConcept, _ value: Double, units: CodedConcept) -> DICOMDatasetBuilder {
        var measured = DICOMDatasetBuilder()
        measured.set("MeasurementUnitsCodeSequence", items: [units.item])
        measured.set("NumericValue", String(value))
        var number = item(relationship, "NUM", concept)
        number.set("MeasuredValueSequence", items: [measured])
        return number
    }

    static func image(_ relationship: Relationship, _ concept: CodedConcept?, _ sopClass: String, _ sopInstance: String) -> DICOMDatasetBuilder {
        var image = item(relationship, "IMAGE", concept)
        image.set("ReferencedSOPSequence", items: [DICOMStructuredReport.sopReference(sopClass, sopInstance)])
        return image
    }
}
