import RadLensImaging
import RadLensModel

/// The modules every RadLens DICOM result shares (SR and SC): Patient and General Study copied
/// from the source, a new series, General Equipment, and SOP Common with the algorithm named in
/// the Contributing Equipment Sequence (IHE AIR). UIDs are derived from the input's and the
/// model's SHA-256, so a rerun writes the same UIDs.
struct DICOMResultHeader {
    /// What the result is: its kind names the UIDs ("sr", "sc").
    let kind: String
    let report: AnalysisReport
    /// The source's patient and study; nil for PNG/JPEG input (a new study, empty patient).
    let study: DICOMStudyContext?

    var inputSHA256: String { report.input.sha256 ?? "" }
    var modelSHA256: String { report.model?.sha256 ?? "" }
    var studyInstanceUID: String { study?.studyInstanceUID ?? DICOMUID.derived("study", inputSHA256) }
    var seriesInstanceUID: String { DICOMUID.derived(kind, "series", inputSHA256, modelSHA256) }
    var sopInstanceUID: String { DICOMUID.derived(kind, "instance", inputSHA256, modelSHA256) }
    /// The algorithm as a device: changes with the model.
    var deviceUID: String { DICOMUID.derived("device", modelSHA256) }
    var modelName: String { report.model?.name ?? "unknown" }
    var softwareVersions: [String] { ["RadLens \(report.provenance.radlensVersion)", "\(modelName) \(report.model?.version ?? "")"] }

    /// The analysis time as DICOM DA and TM, in UTC.
    var contentDateTime: (date: String, time: String) {
        let digits = report.provenance.generatedAt.filter(\.isNumber)
        guard digits.count >= 14 else { return ("", "") }
        return (String(digits.prefix(8)), String(digits.dropFirst(8).prefix(6)))
    }

    /// Fills the shared modules into `dataset`.
    func fill(_ dataset: inout DICOMDatasetBuilder, sopClassUID: String, modality: String, seriesNumber: Int, seriesDescription: String) {
        dataset.set("SOPClassUID", sopClassUID)
        dataset.set("SOPInstanceUID", sopInstanceUID)
        if let characterSet = study?.specificCharacterSet, !characterSet.isEmpty { dataset.set("SpecificCharacterSet", characterSet) }
        // Patient (type 2 attributes present, empty when unknown) and General Study.
        for keyword in ["PatientName", "PatientID", "PatientBirthDate", "PatientSex",
                        "StudyDate", "StudyTime", "ReferringPhysicianName", "StudyID", "AccessionNumber"] {
            dataset.set(keyword, "")
        }
        for attribute in study?.attributes ?? [] { dataset.set(attribute.tag, vr: attribute.vr, bytes: attribute.bytes) }
        dataset.set("StudyInstanceUID", studyInstanceUID)
        // The new series.
        dataset.set("Modality", modality)
        dataset.set("SeriesInstanceUID", seriesInstanceUID)
        dataset.set("SeriesNumber", String(seriesNumber))
        dataset.set("SeriesDescription", seriesDescription)
        dataset.set("InstanceNumber", "1")
        let (date, time) = contentDateTime
        dataset.set("ContentDate", date)
        dataset.set("ContentTime", time)
        dataset.set("TimezoneOffsetFromUTC", "+0000")
        // General Equipment: RadLens made this object.
        dataset.set("Manufacturer", "RadLens")
        dataset.set("ManufacturerModelName", modelName)
        dataset.set("SoftwareVersions", softwareVersions)
        dataset.set("ContributingEquipmentSequence", items: [contributingEquipment])
    }

    /// The algorithm, as IHE AIR names it: purpose (Newcode1, 99IHE, "Processing Algorithm").
    private var contributingEquipment: DICOMDatasetBuilder {
        var item = DICOMDatasetBuilder()
        item.set("PurposeOfReferenceCodeSequence", items: [CodedConcept.processingAlgorithm.item])
        item.set("Manufacturer", "RadLens")
        item.set("ManufacturerModelName", modelName)
        item.set("SoftwareVersions", softwareVersions)
        item.set("DeviceUID", deviceUID)
        return item
    }
}

/// A coded concept as DICOM writes it (code value, scheme designator, meaning).
struct CodedConcept: Equatable {
    var value: String
    var scheme: String
    var meaning: String

    init(_ value: String, _ scheme: String, _ meaning: String) {
        self.value = value
        self.scheme = scheme
        self.meaning = meaning
    }

    /// The manifest's code in DICOM form, when its system has a DICOM coding scheme designator.
    init?(_ code: ModelManifest.Code) {
        let designators = ["http://snomed.info/sct": "SCT", "http://radlex.org": "RADLEX", "http://loinc.org": "LN",
                           "http://www.nlm.nih.gov/research/umls": "UMLS", "http://dicom.nema.org/resources/ontology/DCM": "DCM"]
        guard let scheme = designators[code.system] else { return nil }
        self.init(code.code, scheme, code.display)
    }

    /// A Code Sequence item.
    var item: DICOMDatasetBuilder {
        var item = DICOMDatasetBuilder()
        item.set("CodeValue", value)
        item.set("CodingSchemeDesignator", scheme)
        item.set("CodeMeaning", String(meaning.prefix(64)))
        return item
    }

    static let processingAlgorithm = CodedConcept("Newcode1", "99IHE", "Processing Algorithm")
}
