public import Logging
internal import Foundation

/// swift-log handler writing one line per event to standard error: `text` for people
/// (`PREFIX: LEVEL: message key=value …`), `json` (one object per line: time, level, label,
/// message and the metadata, keys sorted) for log collectors. The application bootstraps it.
public struct StandardErrorLogHandler: LogHandler {
    public enum Format: String, Sendable, CaseIterable { case text, json }

    public let label: String
    public let format: Format
    /// What a text line starts with, e.g. `flowcast live`.
    public let prefix: String
    public var metadata: Logger.Metadata = [:]
    public var logLevel: Logger.Level = .info

    public init(label: String, format: Format, prefix: String, level: Logger.Level = .info) {
        self.label = label; self.format = format; self.prefix = prefix; self.logLevel = level
    }

    public subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { metadata[key] }
        set { metadata[key] = newValue }
    }

    public func log(event: LogEvent) {
        var all = metadata
        for (k, v) in event.metadata ?? [:] { all[k] = v }
        switch format {
        case .json:
            var object: [String: String] = [
                "time": ISO8601DateFormatter.string(from: Date(), timeZone: .gmt,
                                                    formatOptions: [.withInternetDateTime, .withFractionalSeconds]),
                "level": event.level.rawValue, "label": label, "message": event.message.description,
            ]
            for (k, v) in all { object[k] = "\(v)" }
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.sortedKeys]
            if let data = try? encoder.encode(object) { printError(String(decoding: data, as: UTF8.self)) }
        case .text:
            let fields = all.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" }.joined(separator: " ")
            printError("\(prefix): \(event.level): \(event.message)\(fields.isEmpty ? "" : " " + fields)")
        }
    }
}
