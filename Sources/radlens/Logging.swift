import Foundation
import Logging

/// How log lines look on standard error.
enum LogFormat: String, CaseIterable {
    case text
    case json
}

/// A swift-log handler writing one line per message to standard error, as text or JSON.
struct StandardErrorLogHandler: LogHandler {
    var metadata: Logger.Metadata = [:]
    var logLevel: Logger.Level = .info
    let format: LogFormat
    let label: String

    subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { metadata[key] }
        set { metadata[key] = newValue }
    }

    func log(event: LogEvent) {
        let merged = metadata.merging(event.metadata ?? [:]) { $1 }
        let time = Date().ISO8601Format()
        let line: String
        switch format {
        case .text:
            let fields = merged.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" }.joined(separator: " ")
            line = "\(time) \(event.level) \(label): \(event.message)\(fields.isEmpty ? "" : " " + fields)"
        case .json:
            var object: [String: String] = ["time": time, "level": "\(event.level)", "logger": label, "message": "\(event.message)"]
            for (key, value) in merged { object[key] = "\(value)" }
            let data = (try? JSONSerialization.data(withJSONObject: object, options: [.sortedKeys, .withoutEscapingSlashes])) ?? Data()
            line = String(decoding: data, as: UTF8.self)
        }
        FileHandle.standardError.write(Data((line + "\n").utf8))
    }
}

/// A logger for a command, honouring --quiet and --log-format.
func makeLogger(_ label: String, format: LogFormat, quiet: Bool) -> Logger {
    var logger = Logger(label: label) { label in StandardErrorLogHandler(format: format, label: label) }
    logger.logLevel = quiet ? .warning : .info
    return logger
}
