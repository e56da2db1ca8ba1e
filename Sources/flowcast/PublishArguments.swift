import ArgumentParser
import FlowcastNATS
import FlowcastPipeline
import Foundation

/// `--publish` and friends, shared by `replay` and `live` (docs/scaleout.md).
struct PublishArguments: ParsableArguments {
    @Option(help: ArgumentHelp("Publish every closed window to NATS JetStream at this URL (nats://HOST:PORT) for `flowcast planner`.",
                               valueName: "url"))
    var publish: String?
    @Option(help: "This tap's site name in subjects and message ids (default: the host name).") var site: String?
    @Flag(help: "Also publish flows as they end (flowcast.v1.flow.<site>).") var publishFlows = false
    @Option(help: ArgumentHelp("NATS credentials file (user JWT and NKey seed).", valueName: "file")) var natsCreds: String?
    @Option(help: ArgumentHelp("CA certificates (PEM) for a TLS connection to NATS.", valueName: "file")) var natsTlsCa: String?
    @Option(parsing: .unconditional, help: "Most MiB spooled under OUT/publish-spool while NATS is unreachable; beyond it windows are dropped (counted).")
    var spoolLimit: Int = 512
    @Option(parsing: .unconditional, help: "Seconds to wait at the end for NATS to acknowledge what is still spooled or in flight.")
    var publishWait: Double = 60

    func validate() throws {
        if publish == nil && (site != nil || publishFlows || natsCreds != nil || natsTlsCa != nil || spoolLimit != 512 || publishWait != 60) {
            throw ValidationError("--site, --publish-flows, --nats-creds, --nats-tls-ca, --spool-limit and --publish-wait need --publish")
        }
        if let publish { try NATSCommandSupport.validateURL(publish, option: "--publish") }
        if let site, site.isEmpty { throw ValidationError("--site must not be empty") }
        if spoolLimit < 1 { throw ValidationError("--spool-limit must be at least 1 (MiB)") }
        if publishWait < 0 { throw ValidationError("--publish-wait must be zero or more") }
    }

    var siteName: String { site ?? ProcessInfo.processInfo.hostName.split(separator: ".").first.map(String.init) ?? "tap" }

    /// Connects and starts publishing, or nil without `--publish`. An unreachable or refusing server
    /// is one line on standard error and exit status 2.
    func makePublisher(command: String, out: String, mode: String, heartbeatSeconds: Double = 0) throws -> TapPublisher? {
        guard let url = publish else { return nil }
        let connection = NATSConnectionOptions(url: url, name: "flowcast-\(mode)-\(siteName)", credentialsFile: natsCreds,
                                               trustedCAFile: natsTlsCa)
        var options = PublishOptions(connection: connection, site: siteName, publishFlows: publishFlows, mode: mode,
                                     spoolDirectory: out + "/publish-spool", spoolLimitBytes: Int64(spoolLimit) << 20,
                                     drainSeconds: publishWait, heartbeatSeconds: heartbeatSeconds)
        options.log = { line in printError("flowcast \(command): \(line)") }
        do {
            let publisher = try TapPublisher(options)
            for difference in publisher.streamDifferences {
                printError("flowcast \(command): warning: NATS \(difference); using the stream as it is")
            }
            return publisher
        } catch let error as NATSError {
            // The operation too: "Timeout" alone did not say whether connecting or a JetStream
            // request timed out; but not the URL twice ("cannot publish to U: connect to U: …").
            let said = error.operation.hasPrefix("connect to ") ? error.reason : error.description
            printError("flowcast \(command): cannot publish to \(connection.redactedURL): \(NATSCommandSupport.redacting(said, url: url))")
            throw ExitCode(2)
        } catch {
            printError("flowcast \(command): cannot publish to \(connection.redactedURL): \(NATSCommandSupport.redacting("\(error)", url: url))")
            throw ExitCode(2)
        }
    }

    /// Adds the publishing counters to the run's summary.json (`publish`), which the run wrote
    /// before publishing finished; a summary that cannot be read or written is said, not fatal.
    static func record(_ c: PublishCounters, of publisher: TapPublisher, in path: String, command: String) {
        do {
            let url = URL(fileURLWithPath: path)
            var summary = try RunSummary.read(try Data(contentsOf: url), path: path)
            summary.publish = .init(url: publisher.connection.url, site: publisher.options.site, published: c.published + c.resent,
                                    resent: c.resent, spooled: c.spooled, dropped: c.dropped, leftInSpool: c.leftInSpool,
                                    alreadyInStream: c.alreadyInStream, windowLinesProduced: c.windowLines)
            try Data(try summary.json()).write(to: url, options: .atomic)
        } catch {
            printError("flowcast \(command): warning: the publishing counters could not be added to \(path): \(error)")
        }
    }

    /// Exit status of a tap that ran but stopped with messages unsent (still spooled, or dropped).
    static let unsentExitStatus: Int32 = 3

    /// Publishes the tap's end, waits for acknowledgements, and prints the counters. True when
    /// messages were left unsent (spooled, or dropped): the command then exits with status 3.
    @discardableResult
    func finish(_ publisher: TapPublisher?, command: String, quiet: Bool, summary: TapEndSummary, summaryFile: String) -> Bool {
        guard let publisher else { return false }
        let c = publisher.finish(summary: summary)
        Self.record(c, of: publisher, in: summaryFile, command: command)
        if !quiet || c.leftInSpool > 0 || c.dropped > 0 {
            // Messages in all, the re-sent among them: the window lines count every message, so
            // "published 877 messages (1140 window lines) …; re-sent 324" read as fewer messages
            // than lines.
            // W is the lines the run produced, published or not: "published 20819 messages (228000
            // window lines) … dropped 219182" read as 228,000 lines published (an audit).
            printError("flowcast \(command): published \(c.published + c.resent) messages (of \(c.windowLines) window lines produced) to \(publisher.connection.url) "
                + "as site \(publisher.options.site); re-sent \(c.resent) of them, "
                // The stream acknowledges a duplicate as it does a stored message; the warning
                // below says why, this says how many of N were not stored (an audit: N alone read as
                // every message stored).
                + (c.alreadyInStream > 0 ? "\(c.alreadyInStream) already in the stream (not stored again), " : "")
                + "spooled \(c.spooled), dropped \(c.dropped)"
                + (c.leftInSpool > 0 ? "; \(c.leftInSpool) still in \(publisher.options.spoolDirectory) (re-sent by the next run with this --out)" : ""))
        }
        if c.alreadyInStream > 0 {
            // Message ids are <site>|<kind>|<id>|<start>|<content>: the stream keeps the first message
            // of an id and drops later ones for its duplicate window, so a second tap with the same
            // --site (the default is the host name) has its lines that equal the first's (idle
            // cells) dropped without an error; those that differ reach the planner as conflicts.
            let minutes = FlowcastSubjects.windowStream.duplicateWindowNanoseconds / 60_000_000_000
            let acknowledged = c.published + c.resent
            var line = "flowcast \(command): warning: \(c.alreadyInStream) of the \(acknowledged) messages acknowledged "
            line += "were already in the stream (the same message ids) and were dropped as duplicates: is another tap publishing "
            line += "with --site \(publisher.options.site) (the default is the host name; each tap needs its own --site), or was "
            line += "this capture (or a part of it: a trial run, a file of a capture rotated inside a window) published again within "
            line += "the stream's \(minutes) min duplicate window? Lines that differ from those already in the stream were stored, "
            line += "and the planner names them (conflicts, or lines for windows it had planned)"
            if publisher.options.publishFlows {
                // An audit: an identical rerun 125 s later stored every flow again, unsaid.
                let flowMinutes = FlowcastSubjects.flowStream.duplicateWindowNanoseconds / 60_000_000_000
                line += " (flows: the flow stream's duplicate window is \(flowMinutes) min; a flow published again after it is stored again)"
            }
            printError(line)
        }
        if c.leftInSpool > 0 || c.dropped > 0 {
            printError("flowcast \(command): \(c.leftInSpool + c.dropped) messages were not taken by the stream (exit status \(Self.unsentExitStatus))")
            return true
        }
        return false
    }
}
