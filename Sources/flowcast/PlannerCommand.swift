import ArgumentParser
import Dispatch
import FlowcastNATS
import FlowcastPipeline
import FlowcastPolicy
import Foundation

struct PlannerCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "planner",
        abstract: "Plan one network's policies from many taps' windows (replay/live --publish) over NATS JetStream.",
        discussion: """
            Reads every listed site's windows through a durable JetStream consumer, sums each cell's and \
            link's lines across sites (or takes only its `observer:` site's), and plans every --plan-every \
            as `replay --plan-every` does: OUT/policies/policy-NNNN.json, OUT/policies/forecasts.jsonl and \
            OUT/planner-summary.json; each policy is also published on flowcast.v1.policy. An interval \
            is planned when every site has closed it, or --lateness after the first did (its provenance then \
            names the missing sites). State is kept in OUT/planner-state.json and OUT/planner-journal.bin: killed and restarted with the \
            same --out, the planner carries on. Exit status: 0, or 1 when an interval could not be planned, \
            or 3 when lines or marks conflicted (a line for a site, window and cell or link already held with other \
            counts, or one its site's mark did not count: the first was kept and planned with, and may not be the tap's), \
            or when a site published windows of another length than --window (not planned), or lines for windows \
            already planned with its lines that are none of them (another run's; for windows older than the planned \
            lines kept, a copy cannot be told from another run's). \
            See docs/scaleout.md.
            """)

    @Option(help: ArgumentHelp("NATS server URL (nats://HOST:PORT).", valueName: "url")) var nats: String
    @Option(help: "Topology YAML file.") var topology: String
    @Option(help: "Output folder (state, summary; policies under OUT/policies unless --policies).") var out: String
    @Option(help: "The tap sites to wait for, comma-separated.") var sites: String
    @Option(parsing: .unconditional, help: "Plan a policy every DURATION of capture time (a whole number of windows).") var planEvery: DurationArgument = DurationArgument(argument: "60s")!
    @Option(parsing: .unconditional, help: "The taps' window length (their --window): lines and marks of another length are ignored, their site planned without them, and the run exits 3.")
    var window: DurationArgument = DurationArgument(argument: "10s")!
    @OptionGroup var models: PlannerModelArguments
    @Option(parsing: .unconditional, help: "Plan a window without the sites that have not closed it this long after the first site did, on the stream's clock (when the server stored the messages; the wall clock once caught up).")
    var lateness: DurationArgument = DurationArgument(argument: "30s")!
    @Flag(help: "Exit once every listed site has published its end, the last interval is planned and the stream is read to its end.") var exitWhenDone = false
    @Option(parsing: .unconditional, help: "With --exit-when-done: how long to read on, once the last interval is planned, a stream that keeps receiving (a tap still publishing, or of a site not in --sites).")
    var catchUpLimit: DurationArgument = DurationArgument(argument: "30s")!
    @Option(parsing: .unconditional, help: "When the durable consumer is created: read the streams from TIME (ISO 8601, or seconds since the epoch).")
    var from: String?
    @Option(help: "Durable consumer name (a second planner beside the first needs its own).") var durable: String = "flowcast-planner"
    @Option(help: "Folder for policy-NNNN.json and forecasts.jsonl (default: OUT/policies).") var policies: String?
    @Option(parsing: .unconditional, help: "Headroom multiplier on required spectrum blocks.") var headroom: Double = 1.2
    @Option(parsing: .unconditional, help: "Churn penalty per unit of split weight moved from the previous policy.") var churn: Double = 0.01
    @Option(parsing: .unconditional, help: "Keep every link at or under this utilisation, traffic on least-cost paths until it must move (0: pure min-max utilisation).") var targetUtilisation: Double = 0.7
    @Option(help: ArgumentHelp("NATS credentials file (user JWT and NKey seed).", valueName: "file")) var natsCreds: String?
    @Option(help: ArgumentHelp("CA certificates (PEM) for a TLS connection to NATS.", valueName: "file")) var natsTlsCa: String?
    @Flag(help: "Only warnings and errors on standard error.") var quiet = false

    var siteList: [String] { sites.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty } }

    func validate() throws {
        try planEvery.checkRange("--plan-every"); try lateness.checkRange("--lateness"); try window.checkRange("--window")
        try catchUpLimit.checkRange("--catch-up-limit")
        if planEvery.nanoseconds < window.nanoseconds || planEvery.nanoseconds % window.nanoseconds != 0 {
            throw ValidationError("--plan-every (\(planEvery.defaultValueDescription)) must be a whole number of --window (\(window.defaultValueDescription) windows)")
        }
        let list = siteList
        if list.isEmpty { throw ValidationError("--sites needs at least one site name") }
        if Set(list).count != list.count { throw ValidationError("--sites names a site twice") }
        if !(0...1).contains(targetUtilisation) { throw ValidationError("--target-utilisation must be 0 (pure min-max utilisation) to 1") }
        try PlanOptionChecks.validate(headroom: headroom, churn: churn)
        if fromNanoseconds == nil && from != nil { throw ValidationError(NATSCommandSupport.fromMessage) }
        try NATSCommandSupport.validateDurable(durable)
        try NATSCommandSupport.validateURL(nats, option: "--nats")
    }

    var fromNanoseconds: Int64? { from.flatMap(NATSCommandSupport.nanoseconds(fromTime:)) }

    func run() throws {
        let options = NetworkPlannerOptions(
            connection: NATSConnectionOptions(url: nats, name: "flowcast-planner-\(durable)", credentialsFile: natsCreds,
                                              trustedCAFile: natsTlsCa),
            topologyPath: topology, outputDirectory: out, policyDirectory: policies ?? out + "/policies", sites: siteList,
            everyNanoseconds: planEvery.nanoseconds, modelPath: models.model, plan: PlanOptions(headroom: headroom, churnPenalty: churn, targetUtilisation: targetUtilisation),
            latenessSeconds: Double(lateness.nanoseconds) / 1e9, exitWhenDone: exitWhenDone, fromNanoseconds: fromNanoseconds,
            durable: durable)
        var plannerOptions = options
        plannerOptions.windowNanoseconds = window.nanoseconds
        plannerOptions.catchUpLimitSeconds = Double(catchUpLimit.nanoseconds) / 1e9
        plannerOptions.efficiencyModelPath = models.efficiencyModel
        plannerOptions.startLog = { line in printError("flowcast planner: \(line)") }
        let planner: NetworkPlanner
        do {
            planner = try NetworkPlanner(plannerOptions)
        } catch {
            throw NATSCommandSupport.startFailure("planner", url: nats, error)
        }
        let quiet = self.quiet
        planner.quiet = quiet
        planner.log = { line in
            if !quiet || line.hasPrefix("warning:") || line.contains("without") || line.contains("ignored") || line.hasPrefix("dropped") || line.hasPrefix("NATS: connected to")
                || line.hasPrefix("cannot publish") {
                printError("flowcast planner: \(line)")
            }
        }
        for difference in planner.streamDifferences { printError("flowcast planner: warning: NATS \(difference); using the stream as it is") }
        if let warning = planner.modelWarning { printError("flowcast planner: \(warning)") }
        if planner.restored && !quiet { printError("flowcast planner: resuming from \(out)/planner-state.json") }

        let summary = try NATSCommandSupport.runUntilSignalled("planner") { shouldStop in try planner.run(shouldStop: shouldStop) }
        if !quiet {
            printError("flowcast planner: \(summary.windowsPlanned) windows from \(summary.sites.count) sites, \(summary.policies) policies in "
                + "\(options.policyDirectory); messages: "
                + summary.messages.sorted { $0.key < $1.key }.map { "\($0.key) \($0.value)" }.joined(separator: ", ")
                + (summary.sitesNotRead.map { "; nothing read of site \($0.joined(separator: ", ")) (every window planned without it)" } ?? ""))
            let reading = max(planner.runSeconds - planner.planningSeconds, 1e-6)
            printError(String(format: "flowcast planner: this run took %d messages in %.2f s (%.0f/s outside plan steps); plan steps took %.2f s",
                              planner.messagesThisRun, planner.runSeconds, Double(planner.messagesThisRun) / reading, planner.planningSeconds))
        }
        for failure in summary.planFailures { printError("flowcast planner: plan failed: \(failure)") }
        if !summary.planFailures.isEmpty { throw ExitCode(1) }
        // Its policies are written, but some were planned with a line that may not be the tap's
        // (the warning above says how many): not a clean run for a script to take as one.
        if planner.conflictsThisRun > 0 || planner.afterPlannedLinesThisRun > 0 { throw ExitCode(3) }
        // A site's windows of another length were not planned: data lost, as a tap that lost messages.
        if planner.otherWindowLengthThisRun > 0 { throw ExitCode(3) }
    }
}

/// Set from a signal handler's queue, read by the planning loop.
final class StopFlag: @unchecked Sendable {
    private let lock = NSLock()
    private var value = false
    func set() { lock.lock(); value = true; lock.unlock() }
    var isSet: Bool { lock.lock(); defer { lock.unlock() }; return value }
}
