/// An error while a command runs (the command line was fine): printed as one line, exit status 2.
struct RuntimeError: Error, CustomStringConvertible {
    var description: String
    init(_ description: String) { self.description = description }
}
