/// Writes a DICOM Part 10 file (PS3.10 7.1): the 128-byte preamble, "DICM", the file meta group
/// and the dataset, in Explicit VR Little Endian.
public enum DICOMFileWriter {
    /// RadLens's implementation class UID (2.25 form, from a fixed UUID) and version name.
    public static let implementationClassUID = "2.25.96651907666479630539986880510529321765"
    public static let implementationVersionName = "RADLENS_0_1"

    /// The file bytes for `dataset`, whose SOPClassUID and SOPInstanceUID the meta group repeats.
    public static func file(_ dataset: DICOMDatasetBuilder, sopClassUID: String, sopInstanceUID: String) -> [UInt8] {
        var meta = DICOMDatasetBuilder()
        meta.set("FileMetaInformationVersion", bytes: [0, 1])
        meta.set("MediaStorageSOPClassUID", sopClassUID)
        meta.set("MediaStorageSOPInstanceUID", sopInstanceUID)
        meta.set("TransferSyntaxUID", DICOMTransferSyntax.explicitLittle.uid)
        meta.set("ImplementationClassUID", implementationClassUID)
        meta.set("ImplementationVersionName", implementationVersionName)
        let metaBytes = meta.encoded()
        var groupLength = DICOMDatasetBuilder()
        groupLength.set(DICOMTag(0x0002, 0x0000), vr: .UL, bytes: withUnsafeBytes(of: UInt32(metaBytes.count).littleEndian, Array.init))
        return [UInt8](repeating: 0, count: 128) + Array("DICM".utf8) + groupLength.encoded() + metaBytes + dataset.encoded()
    }
}
