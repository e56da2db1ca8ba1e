import ArgumentParser
import FlowcastNATS
import FlowcastPipeline
import Foundation

struct PoliciesCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "policies",
        abstract: "Write the policies a planner publishes on NATS JetStream (flowcast.v1.policy) as files.",
        discussion: """
            Reads the FLOWCAST_POLICIES stream and rebuilds each policy the planner published in parts \
            (when larger than the server's max_payload: parts 1/n to n/n in order, then the size and \
            SHA-256 checked). Each document is read as `flowcast diff` reads a policy (the policy \
            schema) and written atomically to OUT/policy-NNNN.json, byte for byte the planner's file; \
            a file that already holds the same bytes is left alone (unchanged). A policy with a part \
            missing or out of order, a size or digest that does not match, bad headers, a declared \
            size over 256 MiB, or that is not a valid document is reported with its name, counted as \
            bad and skipped; a part that comes twice is ignored and counted as a duplicate. A message \
            is acknowledged only once its document is written (or it is counted bad or a duplicate). \
            Without --durable the consumer is ephemeral and reads the whole stream (or from --from); \
            with it, the next run carries on where this one stopped. --once reads what the stream \
            holds and exits: 0 when every policy was whole and valid, 1 otherwise. Without --once it \
            follows the stream until SIGINT or SIGTERM and exits 0. Either way it prints the counts \
            (written, unchanged, duplicates, bad, incomplete) and writes them to \
            OUT/policies-summary.json. One folder holds one planner's policies (two planners both \
            write policy-0001.json …): --planner NAME reads only those of the planner run with \
            --durable NAME; without it, those of the planner OUT already holds (its summary says), \
            or of the first planner read. Other planners' policies are skipped, counted and \
            acknowledged. See docs/scaleout.md, "Reading policies".
            """)

    @Option(help: ArgumentHelp("NATS server URL (nats://HOST:PORT).", valueName: "url")) var nats: String
    @Option(help: "Folder for policy-NNNN.json and policies-summary.json.") var out: String
    @Option(parsing: .unconditional, help: ArgumentHelp("When the consumer is created: read the stream from TIME (ISO 8601, or seconds since the epoch).",
                               valueName: "time"))
    var from: String?
    @Option(help: ArgumentHelp("Durable consumer name, so that the next run carries on from this one (default: an ephemeral consumer).",
                               valueName: "name"))
    var durable: String?
    @Option(help: ArgumentHelp("Only the policies of the planner run with this --durable (default: the planner whose policies OUT holds, or the first one read).",
                               valueName: "name"))
    var planner: String?
    @Flag(help: "Read what the stream holds now, then exit (1 if any policy was bad or incomplete).") var once = false
    @Option(help: ArgumentHelp("NATS credentials file (user JWT and NKey seed).", valueName: "file")) var natsCreds: String?
    @Option(help: ArgumentHelp("CA certificates (PEM) for a TLS connection to NATS.", valueName: "file")) var natsTlsCa: String?
    @Flag(help: "Only problems and the final counts on standard error.") var quiet = false

    func validate() throws {
        if let from, NATSCommandSupport.nanoseconds(fromTime: from) == nil { throw ValidationError(NATSCommandSupport.fromMessage) }
        try NATSCommandSupport.validateURL(nats, option: "--nats")
        if let durable { try NATSCommandSupport.validateDurable(durable) }
        if let planner, planner.isEmpty || planner.contains("|") { throw ValidationError("--planner must be a planner's --durable name") }
    }

    func run() throws {
        var options = PolicyReaderOptions(
            connection: NATSConnectionOptions(url: nats, name: "flowcast-policies-\(durable ?? "ephemeral")", credentialsFile: natsCreds,
                                              trustedCAFile: natsTlsCa),
            directory: out, fromNanoseconds: from.flatMap(NATSCommandSupport.nanoseconds(fromTime:)), durable: durable, once: once,
            planner: planner)
        options.startLog = { line in printError("flowcast policies: \(line)") }
        let reader: PolicyReader
        do {
            reader = try PolicyReader(options)
        } catch {
            throw NATSCommandSupport.startFailure("policies", url: nats, error)
        }
        let quiet = self.quiet
        reader.log = { line in
            // Other planners' policies are no problem: with --quiet the final line counts them.
            if quiet && line.hasPrefix("skipped the policies of planner") { return }
            printError("flowcast policies: \(line)")
        }
        for difference in reader.streamDifferences { printError("flowcast policies: warning: NATS \(difference); using the stream as it is") }
        if !quiet {
            printError("flowcast policies: reading \(FlowcastSubjects.policy) at \(NATSConnectionOptions.redacted(nats)) with consumer \(reader.consumerName)"
                + (durable == nil ? " (ephemeral)" : "") + (once ? ", once" : ", until SIGINT or SIGTERM"))
        }

        let summary = try NATSCommandSupport.runUntilSignalled("policies") { shouldStop in try reader.run(shouldStop: shouldStop) }
        printError("flowcast policies: \(summary.written) written, \(summary.unchanged) unchanged, \(summary.duplicates) duplicates, "
            + "\(summary.bad) bad, \(summary.incomplete) incomplete (\(summary.messages) messages"
            + (summary.skippedParts > 0 ? ", \(summary.skippedParts) later parts of bad policies skipped" : "")
            + (summary.otherPlanners > 0 ? ", \(summary.otherPlanners) of other planners skipped" : "") + ") in \(out)")
        if once && !summary.isClean { throw ExitCode(1) }
    }
}
