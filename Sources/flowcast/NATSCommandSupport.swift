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
    static func nanoseconds(fromTime text: String) -> Int64? {
        if let seconds = Double(text), seconds.isFinite { return Int64(seconds * 1e9) }
        let f = ISO8601DateFormatter()
        f.formatOptions = [.withInternetDateTime, .withFractionalSeconds]
        if let d = f.date(from: text) { return Int64(d.timeIntervalSince1970 * 1e9) }
        f.formatOptions = [.withInternetDateTime]
        return f.date(from: text).map { Int64($0.timeIntervalSince1970 * 1e9) }
    }

    static let fromMessage = "--from must be ISO 8601 (2025-11-29T08:00:00Z) or seconds since the epoch"

    /// A consumer name JetStream takes: not empty, no '.', '*', '>' or spaces.
    static func validateDurable(_ name: String) throws {
        if name.isEmpty || name.contains(where: { ".*> ".contains($0) }) {
            throw ValidationError("--durable must be a name without '.', '*', '>' or spaces")
        }
    }

    /// A reader that could not start: one line on standard error, exit status 2. A NATS failure
    /// (unreachable server, refused credentials, a TLS or CA problem) names the URL.
    static func startFailure(_ command: String, url: String, _ error: any Error) -> ExitCode {
        if let error = error as? NATSError {
            printError("flowcast \(command): cannot use NATS at \(url): \(error.reason)")
        } else {
            printError("flowcast \(command): \(error)")
        }
        return ExitCode(2)
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
