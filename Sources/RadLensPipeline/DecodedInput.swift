import Foundation
import RadLensImaging
import RadLensModel

/// One input file read, hashed and decoded for a bundle's preprocessing, before or apart from
/// the engine, and perhaps classified ahead: `radlens analyze` reads, decodes and classifies
/// its first image while the other core still checks the model. A failure is kept, to be
/// reported as the analysis's.
public struct DecodedInput: Sendable {
    public var path: String
    public var sha256: String?
    public var image: Result<Image, AnalysisError>
    public var decodeMilliseconds: Double
    /// The classification `classify(with:)` made ahead, for `Analyzer.analyze(_:)` to use.
    public var classification: Result<Classification, AnalysisError>? = nil

    /// Reads and decodes `path` as `manifest`'s preprocessing needs it (JPEGs DCT-scaled, see
    /// `PreprocessingSpec.decodeTargetSize`).
    public static func load(_ path: String, for manifest: ModelManifest, limits: DecodeLimits = DecodeLimits()) -> DecodedInput {
        let clock = ContinuousClock()
        let decoder = ImageDecoder(options: DecodeOptions(limits: limits, targetSize: manifest.preprocessing.decodeTargetSize))
        let bytes: [UInt8]
        do {
            bytes = try readFile(path)
        } catch {
            return DecodedInput(path: path, sha256: nil, image: .failure(error), decodeMilliseconds: 0)
        }
        let sha256 = ModelBundle.sha256(bytes)
        let decoded = clock.now
        var image = Image()
        do {
            try decoder.decode(bytes, path: path, into: &image)
        } catch {
            return DecodedInput(path: path, sha256: sha256, image: .failure(AnalysisError(.decode, error.description)), decodeMilliseconds: 0)
        }
        return DecodedInput(path: path, sha256: sha256, image: .success(image), decodeMilliseconds: (clock.now - decoded).milliseconds)
    }

    /// Classifies the image ahead with `classifier` on `threads` of its engine threads; a
    /// decode failure stays the image's.
    public mutating func classify(with classifier: Classifier, threads: Int? = nil) {
        guard case .success(let image) = image else { return }
        classification = Result { () throws(AnalysisError) in
            var result = try classifier.classify(image, threads: threads)
            result.timings.decodeMilliseconds = decodeMilliseconds
            return result
        }
    }

    /// The bytes of the input file at `path`; a failure is the analysis's decode error.
    static func readFile(_ path: String) throws(AnalysisError) -> [UInt8] {
        do throws(DecodeError) {
            return try FileReader.read(path)
        } catch {
            throw AnalysisError(.decode, error.description)
        }
    }
}
