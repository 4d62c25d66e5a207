/// What the model's calibrated probability means for one label.
public enum Decision: String, Sendable, Codable, Equatable {
    case positive
    case negative
    /// Inside the band where the model is not reliable either way: radiologist review.
    case indeterminate

    /// Applies a manifest's decision band to a probability.
    public init(probability: Float, rule: ModelManifest.DecisionRule) {
        if probability >= rule.indeterminateHigh {
            self = .positive
        } else if probability < rule.indeterminateLow {
            self = .negative
        } else {
            self = .indeterminate
        }
    }
}
