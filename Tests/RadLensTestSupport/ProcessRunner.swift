import Foundation

/// The result of running a command.
public struct ProcessOutput: Sendable {
    public var status: Int32
    public var stdout: Data
    public var stderr: String
    public var stdoutText: String { String(decoding: stdout, as: UTF8.self) }
}

/// Runs external programs (reference decoders, the built CLI) from tests.
public enum ProcessRunner {
    /// Runs `executable` (a path, or a name looked up on PATH) with `arguments`, in
    /// `currentDirectory` when given; `environment` entries are added to (or, empty, removed from) ours.
    public static func run(_ executable: String, _ arguments: [String], environment: [String: String]? = nil,
                           currentDirectory: URL? = nil) throws -> ProcessOutput {
        let process = Process()
        process.currentDirectoryURL = currentDirectory
        if executable.contains("/") {
            process.executableURL = URL(fileURLWithPath: executable)
            process.arguments = arguments
        } else {
            process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
            process.arguments = [executable] + arguments
        }
        if let environment {
            var merged = ProcessInfo.processInfo.environment.merging(environment) { $1 }
            for (key, value) in environment where value.isEmpty { merged[key] = nil }
            process.environment = merged
        }
        let out = Pipe(), err = Pipe()
        process.standardOutput = out
        process.standardError = err
        process.standardInput = FileHandle.nullDevice
        try process.run()
        // Drain both pipes concurrently so a chatty child cannot block on a full pipe.
        let errorData = LockedData()
        let drainError = Thread { errorData.set(err.fileHandleForReading.readDataToEndOfFile()) }
        drainError.start()
        let output = out.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        while !errorData.isSet { usleep(1000) }
        return ProcessOutput(status: process.terminationStatus, stdout: output,
                             stderr: String(decoding: errorData.value, as: UTF8.self))
    }

    /// The error lines `dciodvfy` (dicom3tools) reports for a DICOM file, with its exit status;
    /// nil when dciodvfy is not installed.
    public static func dciodvfyErrors(_ path: String) throws -> (errors: [String], status: Int32)? {
        guard available("dciodvfy") else { return nil }
        let check = try run("dciodvfy", [path])
        return (check.stderr.split(separator: "\n").filter { $0.hasPrefix("Error") }.map(String.init), check.status)
    }

    /// True when `tool` is on PATH.
    public static func available(_ tool: String) -> Bool {
        (try? run("which", [tool]).status) == 0
    }
}

private final class LockedData: @unchecked Sendable {
    private let lock = NSLock()
    private var data: Data?
    func set(_ value: Data) { lock.withLock { data = value } }
    var isSet: Bool { lock.withLock { data != nil } }
    var value: Data { lock.withLock { data ?? Data() } }
}
