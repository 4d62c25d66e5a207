/// What a DICOM result (SR, SC) copies from its source so that PACS files it with the source: the
/// Patient and General Study module attributes, the character set they are in, and the source
/// instance to reference. It holds patient identifiers, so it is deliberately not `Codable`: it
/// goes into DICOM results only, never into text, JSON, FHIR, HTML or logs.
public struct DICOMStudyContext: Sendable, Equatable {
    /// One attribute exactly as the source stored it (text VRs need no byte swapping).
    public struct Attribute: Sendable, Equatable {
        public var tag: DICOMTag
        public var vr: DICOMVR
        public var bytes: [UInt8]
    }

    /// The Patient and General Study attributes the source has, in tag order.
    public var attributes: [Attribute]
    /// Specific Character Set (0008,0005) of those values; empty for the default repertoire.
    public var specificCharacterSet: [String]
    public var studyInstanceUID: String
    public var seriesInstanceUID: String?
    public var sopClassUID: String?
    public var sopInstanceUID: String?

    /// The attributes copied: the Patient module's identifying core and the General Study module.
    static let copiedKeywords = [
        "PatientName", "PatientID", "IssuerOfPatientID", "PatientBirthDate", "PatientSex",
        "StudyDate", "StudyTime", "AccessionNumber", "ReferringPhysicianName", "StudyDescription", "StudyID",
    ]

    /// The attribute with `keyword`, if the source had it.
    public func attribute(_ keyword: String) -> Attribute? {
        guard let tag = DICOMDictionary.entry(keyword: keyword)?.tag else { return nil }
        return attributes.first { $0.tag == tag }
    }
}

extension DICOMFile {
    /// The study context of this file, or nil when it has no Study Instance UID (a result could
    /// not join its study).
    public var studyContext: DICOMStudyContext? {
        guard let study = dataset.string(.studyInstanceUID) else { return nil }
        var attributes: [DICOMStudyContext.Attribute] = []
        for keyword in DICOMStudyContext.copiedKeywords {
            guard let tag = DICOMDictionary.entry(keyword: keyword)?.tag, let element = dataset[tag], element.vr.isText else { continue }
            var bytes = Array(dataset.bytes[element.valueRange])
            if bytes.count % 2 == 1 { bytes.append(0x20) }
            attributes.append(.init(tag: tag, vr: element.vr, bytes: bytes))
        }
        let characterSet = dataset.strings(.specificCharacterSet)
        return DICOMStudyContext(attributes: attributes, specificCharacterSet: characterSet.allSatisfy(\.isEmpty) ? [] : characterSet,
                                 studyInstanceUID: study, seriesInstanceUID: dataset.string(.seriesInstanceUID),
                                 sopClassUID: dataset.string(.sopClassUID), sopInstanceUID: dataset.string(.sopInstanceUID))
    }
}
