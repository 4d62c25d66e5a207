import Foundation
import RadLensImaging
import RadLensInference
import RadLensModel
import RadLensPreprocess
import RadLensReport

/// Runs a model bundle on images: decode, preprocess as trained, infer, calibrate, decide,
/// check for out-of-distribution input. Holds reusable buffers: one per thread.
public final class Classifier {
    public let bundle: ModelBundle
    let session: InferenceSession
    let preprocessor: Preprocessor
    let decoder: ImageDecoder
    let outOfDistribution: Mahalanobis?
    let head: ModelHead
    private let weightCache: PackedWeightCache?
    private var image = Image()
    private var input: [Float]

    /// - Parameter weightCache: where packed weights are kept between processes (keyed by the
    ///   manifest's sha256, which `ModelBundle.load` checks against the model file meanwhile);
    ///   read here, written by `savePackedWeights` once the check has passed.
    public init(bundle: ModelBundle, options: SessionOptions = SessionOptions(), limits: DecodeLimits = DecodeLimits(),
                weightCache: PackedWeightCache? = nil) throws(AnalysisError) {
        self.bundle = bundle
        self.weightCache = weightCache
        do {
            session = try InferenceSession(data: bundle.modelData, options: options, cache: weightCache,
                                           modelSHA256: bundle.manifest.model.sha256)
            preprocessor = try Preprocessor(bundle.manifest.preprocessing, channels: bundle.manifest.input.channels)
        } catch let error as InferenceError {
            throw AnalysisError(.model, "\(bundle.directory.path): \(error.message)")
        } catch {
            throw AnalysisError(.model, "\(bundle.directory.path): \(error)")
        }
        do {
            head = try ModelHead(bundle.manifest)
        } catch {
            throw AnalysisError(.model, "\(bundle.directory.path): \(error.description)")
        }
        let spec = bundle.manifest.input
        guard spec.height == preprocessor.spec.resize.height, spec.width == preprocessor.spec.resize.width else {
            throw AnalysisError(.model, "\(bundle.directory.path): manifest input \(spec.channels)x\(spec.height)x\(spec.width) does not match its preprocessing")
        }
        do {
            try session.preparePlan(for: [spec.name: [1, spec.channels, spec.height, spec.width]])
        } catch {
            throw AnalysisError(.model, "\(bundle.directory.path): \(error.message)")
        }
        decoder = ImageDecoder(options: DecodeOptions(limits: limits, targetSize: preprocessor.decodeTargetSize))
        if let ood = bundle.manifest.ood {
            let path = bundle.directory.appendingPathComponent(ood.precisionFile).path
            let precision: (shape: [Int], values: Data)
            do {
                precision = try NumPyFile.float32Values(contentsOf: path)
            } catch {
                throw AnalysisError(.model, "\(path): \(error.message)")
            }
            guard let model = Mahalanobis(mean: ood.mean, precisionValues: precision.values, threshold: ood.threshold) else {
                throw AnalysisError(.model, "\(path): shape \(precision.shape) does not match the \(ood.mean.count) OOD features")
            }
            outOfDistribution = model
        } else {
            outOfDistribution = nil
        }
        input = [Float](repeating: 0, count: preprocessor.outputCount)
    }

    private init(sharing other: Classifier, threads: Int) throws(AnalysisError) {
        bundle = other.bundle
        weightCache = other.weightCache
        session = other.session.replica(threads: threads)
        do {
            preprocessor = try Preprocessor(other.preprocessor.spec, channels: other.bundle.manifest.input.channels)
        } catch {
            throw AnalysisError(.model, "\(bundle.directory.path): \(error)")
        }
        decoder = ImageDecoder(options: other.decoder.options)
        outOfDistribution = other.outOfDistribution
        head = other.head
        input = [Float](repeating: 0, count: preprocessor.outputCount)
    }

    /// Writes the packed weights to the weight cache, if there is one and they did not come
    /// from it. Call it once the bundle's sha256 is verified (`ModelBundle.load` returned), so
    /// that a model file the manifest does not describe never fills the manifest's entry.
    public func savePackedWeights() {
        if let weightCache { session.savePackedWeights(to: weightCache, modelSHA256: bundle.manifest.model.sha256) }
    }

    /// The cached packed weights' checksum, when the weight cache defers it
    /// (`PackedWeightCache.defersChecksum`); see `InferenceSession.cachedWeightsCheck`.
    public var cachedWeightsCheck: (@Sendable () -> Bool)? { session.cachedWeightsCheck }

    /// A classifier for another thread, with `threads` engine threads: it shares this one's
    /// bundle, head and packed weights, and has its own buffers.
    public func replica(threads: Int) throws(AnalysisError) -> Classifier {
        try Classifier(sharing: self, threads: threads)
    }

    /// Classifies the image file at `path`.
    public func classify(contentsOf path: String) throws(AnalysisError) -> Classification {
        try classify(fileBytes: DecodedInput.readFile(path), path: path)
    }

    /// Classifies in-memory file bytes; `path` names the input in errors.
    public func classify(fileBytes: [UInt8], path: String) throws(AnalysisError) -> Classification {
        let clock = ContinuousClock()
        let start = clock.now
        do {
            try decoder.decode(fileBytes, path: path, into: &image)
        } catch {
            throw AnalysisError(.decode, error.description)
        }
        let decoded = clock.now
        var result = try classify(image)
        result.timings.decodeMilliseconds = (decoded - start).milliseconds
        return result
    }

    /// Classifies a decoded image, on `threads` of the engine's threads (default: all).
    public func classify(_ image: Image, threads: Int? = nil) throws(AnalysisError) -> Classification {
        let clock = ContinuousClock()
        let start = clock.now
        input.withUnsafeMutableBufferPointer { preprocessor.apply(image, into: $0.baseAddress!) }
        let preprocessed = clock.now
        let manifest = bundle.manifest
        let outputs: [String: Tensor]
        do {
            outputs = try session.run([manifest.input.name: Tensor(shape: [1, manifest.input.channels, manifest.input.height, manifest.input.width], data: input)],
                                      threads: threads)
        } catch {
            throw AnalysisError(.model, error.message)
        }
        let inferred = clock.now
        guard let logits = outputs[manifest.model.logitsOutput] else {
            throw AnalysisError(.model, "the model has no output \"\(manifest.model.logitsOutput)\"")
        }
        guard logits.count == head.logitCount else {
            throw AnalysisError(.model, "output \"\(manifest.model.logitsOutput)\" has \(logits.count) values; the manifest's \(head.kind.rawValue) head needs \(head.logitCount)")
        }
        let scores = head.scores(logits: logits.data)
        let features = manifest.model.featuresOutput.flatMap { outputs[$0] }
        let distance = outOfDistribution.flatMap { ood in features.map { ood.distance($0.data) } }
        return Classification(
            image: image, logits: logits.data, scores: scores,
            oodDistance: distance, isOutOfDistribution: distance.map { $0 > outOfDistribution!.threshold } ?? false,
            featureMap: manifest.model.featureMapOutput.flatMap { outputs[$0] },
            timings: StageTimings(preprocessMilliseconds: (preprocessed - start).milliseconds,
                                  inferenceMilliseconds: (inferred - preprocessed).milliseconds))
    }

    /// The engine's kernel level.
    public var kernelLevel: KernelLevel { session.kernelLevel }
    /// The engine's precision.
    public var precision: Precision { session.options.precision }
}

/// The model's answer for one image.
public struct Classification: Sendable {
    /// The decoded image (with its DICOM attributes for DICOM input).
    public var image: Image
    /// The model's raw logits.
    public var logits: [Float]
    /// Every finding, calibrated and decided (groups first).
    public var scores: [ModelHead.Score]
    /// The first finding's calibrated probability (the one evaluation and the worklist use).
    public var probability: Float { scores[0].probability }
    /// The first finding's decision.
    public var decision: Decision { scores[0].decision }
    /// Mahalanobis distance of the features from the training data, when the bundle has OOD statistics.
    public var oodDistance: Float?
    /// True when the image is unlike the training data: the answer should not be trusted.
    public var isOutOfDistribution: Bool
    /// The last convolutional feature map [1, C, h, w], for class activation maps.
    public var featureMap: Tensor?
    public var timings: StageTimings
}

/// Milliseconds spent in each stage for one image.
public struct StageTimings: Sendable, Codable, Equatable {
    public var decodeMilliseconds: Double = 0
    public var preprocessMilliseconds: Double = 0
    public var inferenceMilliseconds: Double = 0
}

/// Why an input could not be analysed.
public struct AnalysisError: Error, Sendable, CustomStringConvertible {
    public enum Kind: String, Sendable, Codable {
        case decode
        case model
        case io
    }

    public var kind: Kind
    public var message: String
    public init(_ kind: Kind, _ message: String) {
        self.kind = kind
        self.message = message
    }

    public var description: String { message }
}

extension Duration {
    var milliseconds: Double {
        let (seconds, attoseconds) = components
        return Double(seconds) * 1000 + Double(attoseconds) / 1e15
    }
}
