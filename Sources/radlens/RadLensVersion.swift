/// The version printed by `radlens --version`.
enum RadLensVersion {
    static let number = "0.1.0"
    static var description: String { "radlens \(number)" }
}
