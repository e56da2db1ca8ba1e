import ArgumentParser
import Dispatch
import FlowcastNATS
import FlowcastPipeline
import Foundation

/// What `flowcast planner` and `flowcast policies` share as readers of JetStream: `--from`,
/// `--durable`, connection failures and stopping on a signal.
enum NATSCommandSupport {
    /// `--from TIME`: ISO 8601 (with or without fractional seconds) or seconds since the epoch, as
    /// ns since the epoch; nil when it is neither.
    /// Nil for text that is neither, and for a time JetStream cannot start from: at or before the
    /// epoch (a start time of 0 is "not set" to JetStream, which then refuses the consumer) or
    /// past what `Int64` nanoseconds hold (year 2262; a time in milliseconds is such a number, and
    /// converting it trapped).
    static func nanoseconds(fromTime text: String) -> Int64? {
        let seconds: Double
        if let number = Double(text) {
            seconds = number
        } else {
            let f = ISO8601DateFormatter()
            f.formatOptions = [.withInternetDateTime, .withFractionalSeconds]
            if let d = f.date(from: text) {
                seconds = d.timeIntervalSince1970
            } else {
                f.formatOptions = [.withInternetDateTime]
                guard let d = f.date(from: text) else { return nil }
                seconds = d.timeIntervalSince1970
            }
        }
        guard seconds > 0, seconds < Double(Int64.max) / 1e9 else { return nil }  // NaN fails the first
        return Int64(seconds * 1e9)
    }

    static let fromMessage = "--from must be a time after 1970 and before 2262, in ISO 8601 (2025-11-29T08:00:00Z) or seconds since the epoch (not milliseconds)"

    /// `--publish` and `--nats`: `nats://[USER:PASSWORD@ or TOKEN@]HOST[:PORT]`, several separated
    /// by commas. The C client took `tls://` and connected in plain text (TLS is on only with
    /// --nats-tls-ca), took `http://` as if it were nats://, and ignored a path: each is a usage
    /// error now, naming the URL with its secret redacted.
    static func validateURL(_ text: String, option: String) throws {
        for item in text.split(separator: ",", omittingEmptySubsequences: false).map(String.init) {
            let shown = NATSConnectionOptions.redacted(item)
            func refuse(_ why: String) -> ValidationError {
                ValidationError("\(option) \(shown): \(why); give nats://HOST:PORT (several separated by commas)")
            }
            guard let scheme = item.firstRange(of: "://") else { throw refuse("no nats:// scheme") }
            let name = item[..<scheme.lowerBound].lowercased()
            if name == "tls" {
                throw refuse("tls:// is not supported (the connection would be plain text); for TLS give nats:// with --nats-tls-ca")
            }
            guard name == "nats" else { throw refuse("the scheme \(name.isEmpty ? "''" : name + "://") is not NATS's") }
            let afterScheme = item[scheme.upperBound...]
            // The userinfo ends at the last '@' (a password may hold '/'); what follows is the server.
            var server = afterScheme.lastIndex(of: "@").map { afterScheme[afterScheme.index(after: $0)...] } ?? afterScheme
            if server.hasSuffix("/") { server = server.dropLast() }
            if let cut = server.firstIndex(where: { "/?#".contains($0) }) {
                throw refuse("a path, query or fragment ('\(server[cut...])') means nothing to NATS")
            }
            // HOST, or [IPv6], then :PORT or nothing.
            let hostEnd = server.hasPrefix("[") ? server.firstIndex(of: "]").map { server.index(after: $0) } ?? server.endIndex
                                                : server.firstIndex(of: ":") ?? server.endIndex
            if server[..<hostEnd].isEmpty { throw refuse("no host") }
            let rest = server[hostEnd...]
            if !rest.isEmpty {
                let port = rest.dropFirst()
                guard rest.first == ":", port.allSatisfy({ $0.isASCII && $0.isNumber }), let number = Int(port), (1...65535).contains(number) else {
                    throw refuse("the port '\(rest.dropFirst())' is not 1 to 65535")
                }
            }
        }
    }

    /// A consumer name JetStream takes: not empty, no '.', '*', '>' or spaces.
    static func validateDurable(_ name: String) throws {
        if name.isEmpty || name.contains(where: { ".*> ".contains($0) }) {
            throw ValidationError("--durable must be a name without '.', '*', '>' or spaces")
        }
    }

    /// A reader that could not start: one line on standard error, exit status 2. A NATS failure
    /// (unreachable server, refused credentials, a TLS or CA problem) names the URL, its password
    /// or token redacted.
    static func startFailure(_ command: String, url: String, _ error: any Error) -> ExitCode {
        if let error = error as? NATSError {
            printError("flowcast \(command): cannot use NATS at \(NATSConnectionOptions.redacted(url)): \(redacting(error.reason, url: url))")
        } else {
            printError("flowcast \(command): \(redacting("\(error)", url: url))")
        }
        return ExitCode(2)
    }

    /// `text` with `url` as given replaced by its redacted form: a message of the C client, or one
    /// built from the options, should it quote the URL.
    static func redacting(_ text: String, url: String) -> String {
        let redacted = NATSConnectionOptions.redacted(url)
        return redacted == url ? text : text.replacingOccurrences(of: url, with: redacted)
    }

    /// Runs a reader's loop: `body` sees `shouldStop` turn true on SIGINT or SIGTERM; an error it
    /// throws is one line on standard error and exit status 2.
    static func runUntilSignalled<Result>(_ command: String, _ body: (_ shouldStop: () -> Bool) throws -> Result) throws -> Result {
        let stop = StopFlag()
        let sources = stopOnSignals(stop, label: "flowcast.\(command).signals")
        defer { for s in sources { s.cancel() } }
        do {
            return try body { stop.isSet }
        } catch {
            printError("flowcast \(command): \(error)")
            throw ExitCode(2)
        }
    }

    /// Sets `stop` on SIGINT or SIGTERM (instead of ending the process); cancel the sources to stop.
    private static func stopOnSignals(_ stop: StopFlag, label: String) -> [any DispatchSourceSignal] {
        let queue = DispatchQueue(label: label)
        var sources: [any DispatchSourceSignal] = []
        for number in [SIGINT, SIGTERM] {
            signal(number, SIG_IGN)
            let source = DispatchSource.makeSignalSource(signal: number, queue: queue)
            source.setEventHandler { stop.set() }
            source.resume()
            sources.append(source)
        }
        return sources
    }
}
