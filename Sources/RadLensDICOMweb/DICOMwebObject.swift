/// One dataset in the DICOM JSON model (PS3.18 F.2), as QIDO-RS and STOW-RS answer: attributes
/// keyed by tag ("0020000D"), each with a VR and a list of values.
public struct DICOMwebObject: @unchecked Sendable {
    private let attributes: [String: Any]

    public init(_ attributes: [String: Any]) { self.attributes = attributes }

    /// The first value of `tag` as text (UIDs, codes, strings, numbers), or nil.
    public func string(_ tag: String) -> String? {
        guard let values = (attributes[tag.uppercased()] as? [String: Any])?["Value"] as? [Any], let first = values.first else { return nil }
        switch first {
        case let text as String: return text.isEmpty ? nil : text
        case let number as NSNumberLike: return number.description
        default: return nil
        }
    }

    /// The items of sequence `tag`.
    public func items(_ tag: String) -> [DICOMwebObject] {
        let values = (attributes[tag.uppercased()] as? [String: Any])?["Value"] as? [[String: Any]] ?? []
        return values.map(DICOMwebObject.init)
    }

    public var studyInstanceUID: String? { string("0020000D") }
    public var seriesInstanceUID: String? { string("0020000E") }
    public var sopInstanceUID: String? { string("00080018") }
    public var sopClassUID: String? { string("00080016") }
}

/// Numbers as JSONSerialization returns them.
protocol NSNumberLike: CustomStringConvertible {}
extension Int: NSNumberLike {}
extension Double: NSNumberLike {}
