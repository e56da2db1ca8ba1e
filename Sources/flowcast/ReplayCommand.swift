import ArgumentParser
import FlowcastCore
import FlowcastAggregate
import FlowcastCapture
import FlowcastPipeline
import FlowcastPolicy
import FlowcastTopology
import Foundation

/// A duration like `10s`, `500ms`, `5m`, `1h`, `1d` or a bare number of seconds: from 1 ms to 366 days.
/// Anything else is refused as the option's invalid value (a value past Int64's nanoseconds
/// trapped, and one that rounded to 0 ns passed every check that asks for a positive duration).
struct DurationArgument: ExpressibleByArgument, Sendable {
    var nanoseconds: Int64
    /// The text as typed when it is a duration outside 1 ms to 366 days: parsing accepts it so
    /// that `checkRange` can say what is wrong (ArgumentParser only says "invalid" for a value
    /// its parser refuses), and every command's `validate()` calls `checkRange`.
    private(set) var outOfRange: String?
    /// The text as typed when it is no duration at all (`1w`), kept for `checkRange` to name the
    /// units: ArgumentParser's own message was "The value '1w' is invalid", with none.
    private(set) var unreadable: String?
    static let smallest: Double = 1e6, largest: Double = 366 * 86_400e9
    init?(argument: String) {
        let units: [(String, Double)] = [("ms", 1e6), ("s", 1e9), ("m", 60e9), ("h", 3600e9), ("d", 86_400e9)]
        let (number, scale) = units.first { argument.hasSuffix($0.0) }.map { (argument.dropLast($0.0.count), $0.1) }
            ?? (Substring(argument), 1e9)
        guard let v = Double(number), v.isFinite else {
            nanoseconds = Int64(Self.smallest)
            unreadable = argument
            return
        }
        let ns = (v * scale).rounded()
        if ns >= Self.smallest && ns <= Self.largest {
            nanoseconds = Int64(ns)
        } else {
            nanoseconds = Int64(Self.smallest)
            outOfRange = argument
        }
    }

    /// Refuses a duration outside 1 ms to 366 days, naming the option and the value.
    func checkRange(_ option: String) throws {
        if let text = unreadable {
            throw ValidationError("\(option) '\(text)' is not a duration: a number with ms, s, m, h or d, or of seconds alone (e.g. 500ms, 10s, 5m, 2h, 1d, 60)")
        }
        if let text = outOfRange {
            throw ValidationError("\(option) \(text) is out of range: a duration is 1 ms to 366 days (e.g. 500ms, 10s, 5m, 2h, 1d)")
        }
    }

    var seconds: Double { Double(nanoseconds) / 1e9 }

    /// As a user would type it: `10s`, `500ms`, `2h`; help prints defaults through this.
    var defaultValueDescription: String {
        if nanoseconds % 3_600_000_000_000 == 0 { return "\(nanoseconds / 3_600_000_000_000)h" }
        if nanoseconds % 1_000_000_000 == 0 { return "\(nanoseconds / 1_000_000_000)s" }
        if nanoseconds % 1_000_000 == 0 { return "\(nanoseconds / 1_000_000)ms" }
        return "\(Double(nanoseconds) / 1e9)s"
    }
}

struct ReplayCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "replay",
        abstract: "Replay a capture into per-cell and per-link load windows, flows and a summary.",
        discussion: """
            Writes OUT/windows.jsonl (one WindowLine per window per cell and link), OUT/flows.jsonl \
            (flows as they end) and OUT/summary.json. Windows follow capture time; the last one is \
            marked partial. The same input always gives byte-identical output. Exit status: 0; 2 on \
            an error (the capture, the topology, an output file); 3 when --publish leaves messages \
            the stream did not take (they stay in OUT/publish-spool, see docs/scaleout.md) or an \
            --ipfix collector lost flows or records (docs/ipfix.md); 64 on a usage error.
            """)

    @Argument(help: "A pcap or pcapng file.") var file: String
    @Option(help: "Topology YAML (cells, links, match rules). Without it, cells and links are inferred from the capture (GTP-U endpoints, signalled cell identities, VLANs, MPLS labels) and nothing is planned.")
    var topology: String?
    @Option(parsing: .unconditional, help: "Window length (e.g. 10s, 500ms, 1m; 1 ms to 366 days).") var window: DurationArgument = DurationArgument(argument: "10s")!
    @Option(help: "Output folder.") var out: String
    @OptionGroup(title: "Flows") var flowTable: FlowTableOptions
    @Option(parsing: .unconditional, help: "Threads: 2 reads and decodes beside aggregation, 1 does all on one.") var threads: Int = 2
    @Option(parsing: .unconditional, help: "The capture holds 1 packet in N (sampled mirror): window bytes and packets are scaled by N.")
    var sampling: UInt64 = 1
    @Option(parsing: .unconditional, help: "Plan a policy every DURATION of capture time (e.g. 60s; a whole number of --window); needs --topology.")
    var planEvery: DurationArgument?
    @Option(help: "Folder for policy-NNNN.json and forecasts.jsonl (default: OUT/policies).") var policies: String?
    @OptionGroup var models: PlannerModelArguments
    @Option(parsing: .unconditional, help: "Headroom multiplier on required spectrum blocks.") var headroom: Double = 1.2
    @Option(parsing: .unconditional, help: "Churn penalty per unit of split weight moved from the previous policy.") var churn: Double = 0.01
    @OptionGroup(title: "IPFIX export") var ipfix: IPFIXArguments
    @Option(parsing: .unconditional, help: "Keep every link at or under this utilisation, traffic on least-cost paths until it must move (0: pure min-max utilisation).") var targetUtilisation: Double = 0.7
    @Flag(help: "No progress line or end-of-run counts (warnings and IPFIX loss are still printed).") var quiet = false
    @OptionGroup var reading: CaptureReadingOptions
    @OptionGroup(title: "Publishing to a planner") var publishing: PublishArguments

    func validate() throws {
        try window.checkRange("--window"); try planEvery?.checkRange("--plan-every")
        if !(1...2).contains(threads) { throw ValidationError("--threads must be 1 or 2") }
        // Past a million the scaled counters could pass 2^64 and wrap without a word (--sampling
        // 2^62 wrote 4611686018427387904 bytes); no tap samples that sparsely.
        if !(1...1_000_000).contains(sampling) { throw ValidationError("--sampling must be 1 to 1000000 (1 packet in N), not \(sampling)") }
        if !(0...1).contains(targetUtilisation) { throw ValidationError("--target-utilisation must be 0 (pure min-max utilisation) to 1") }
        try PlanOptionChecks.validate(headroom: headroom, churn: churn)
        if planEvery != nil && topology == nil { throw ValidationError("--plan-every needs --topology") }
        // Planning options without planning did nothing, silently (a wrong --model path too).
        if planEvery == nil {
            let given = [(models.model, "--model"), (models.efficiencyModel, "--efficiency-model"), (policies, "--policies")]
                .filter { $0.0 != nil }.map(\.1)
                + [(headroom != 1.2, "--headroom"), (churn != 0.01, "--churn"), (targetUtilisation != 0.7, "--target-utilisation")]
                .filter(\.0).map(\.1)
            if let first = given.first { throw ValidationError("\(first) needs --plan-every (it is used only when planning)") }
        }
        if let planEvery, planEvery.nanoseconds < window.nanoseconds || planEvery.nanoseconds % window.nanoseconds != 0 {
            // Policies tile time: an interval that is not whole windows would leave a gap between them.
            throw ValidationError("--plan-every (\(planEvery.defaultValueDescription)) must be a whole number of --window (\(window.defaultValueDescription) windows)")
        }
    }

    /// A run that failed: an earlier run's files moved aside stay there, said, when this run
    /// wrote files of its own (they are what is left of it); when it wrote none (a bad model
    /// file, a policies folder that cannot be made) they go back where they were.
    private func keepOrRestore(_ earlier: String?, _ previous: PreviousRun?, policies: String?) {
        guard let earlier, let previous else { return }
        if !PreviousRun.holdsRunFiles(out, policyDirectory: policies) {
            do {
                try previous.restore(out, policyDirectory: policies, from: earlier)
                printError("flowcast replay: the earlier run's files were put back (this run wrote nothing)")
                return
            } catch {
                printError("flowcast replay: warning: the earlier run's files could not all be put back: \(error.localizedDescription)")
            }
        }
        printError("flowcast replay: the earlier run's files are kept in \(earlier)")
    }

    func run() throws {
        // A gzip capture is inflated once, for the up to four reads below (it was inflated for each).
        let inflated: InflatedCapture?
        do { inflated = try InflatedCapture.ifCompressed(path: file) } catch {
            printError("flowcast replay: \(error)")
            throw ExitCode(2)
        }
        if let filter = reading.filter {
            // A filter libpcap refuses for this file's link types stops the run before anything is
            // written (the planner and publisher below may create folders).
            do {
                _ = try OfflineCapture(path: file, mapFile: reading.mapFile, filter: filter, inflated: inflated)
            } catch let error where error.isBadFilter {
                printError("flowcast replay: \(error)")
                throw ExitCode(2)
            } catch {}  // any other fault of the file is reported by the replay itself
        }
        // Every collector's name resolves, before anything is read or moved (it was found once
        // an earlier run's files had gone: an audit).
        do { try IPFIXCollector.checkResolvable(ipfix.collectors.compactMap(IPFIXCollector.init(url:))) } catch {
            printError("flowcast replay: \(error)")
            throw ExitCode(2)
        }
        let topo: Topology
        var inferred: InferredNetwork? = nil
        if let topology {
            do { topo = try Topology(contentsOfFile: topology) } catch {
                printError("flowcast replay: \(error)")
                throw ExitCode(2)
            }
        } else {
            // A first pass over the capture finds its cells and links (docs/replay.md).
            do { inferred = try inferNetwork(capturePath: file, mapFile: reading.mapFile, filter: reading.filter, upToFault: true,
                                             inflated: inflated) } catch {
                printError("flowcast replay: \(error)")
                throw ExitCode(2)
            }
            topo = inferred!.topology
            if !quiet {
                let n = inferred!
                printError("flowcast replay: no --topology: inferred \(n.cellCount) cells (\(n.radio.count) eNB/gNB addresses, "
                    + "\(n.identityCells.count) signalled identities) and \(n.links.count) links from the capture; nothing is planned")
            }
        }
        let flows = flowTable.configuration
        let progress: ProgressLine? = quiet ? nil : ProgressLine.makeIfTerminal()
        var callback: (@Sendable (Int, Double, Int) -> Void)? = nil
        if let progress {
            callback = { packets, fraction, flows in progress.update(packets: packets, fraction: fraction, flows: flows) }
        }
        var options = ReplayOptions(capturePath: file, topology: topo, outputDirectory: out,
                                    aggregation: .init(windowNanoseconds: window.nanoseconds, flows: flows, sampling: sampling),
                                    threads: threads, progress: callback)
        options.mapFile = reading.mapFile
        options.filter = reading.filter
        options.ipfix = ipfix.options(observationPoint: 0, waitWhenFull: true, sampling: sampling)
        options.inferred = inferred
        options.inflated = inflated
        let result: ReplayResult
        var unsent = false
        var planner: IntervalPlanner? = nil
        var folderLock: OutputFolderLock? = nil
        defer { folderLock?.release() }
        // Where an earlier run's files wait while this one runs (`OUT/earlier-N`).
        var earlier: String? = nil
        do {
            // The capture must open before an earlier run's outputs are cleared from `--out`.
            _ = try OfflineCapture(path: file, mapFile: reading.mapFile, inflated: inflated)
            // One run per folder, as live: taken before an earlier run's files are cleared, and
            // held until this process ends (the kernel drops it then).
            do { try OutputFolder.create(out) } catch {
                throw ReplayError.output(path: out, reason: "cannot create the folder: \(error.reason)")
            }
            do { folderLock = try OutputFolderLock(out, command: "replay") } catch {
                throw ReplayError.output(path: out, reason: "\(error)")
            }
            // An earlier run's files move aside to earlier-N/ and go only once this run has
            // finished: until 7 December 2026 they were removed at the start, so a rerun stopped
            // with Ctrl-C (or failing on a full disk) cost the folder its last finished run.
            let archive = PreviousRun.freeArchive(in: out)
            if var previous = try PreviousRun.clear(out, policyDirectory: policies, keepingIn: archive) {
                earlier = archive
                if !quiet { printError("flowcast replay: \(out) \(previous), removed once this run has finished") }
                previous.keptIn = nil  // summary.json is written only by a run that finished, after which they are gone
                options.previousRun = previous
            }
            if let planEvery, let topology {
                var plannerOptions = IntervalPlanner.Options(
                    everyNanoseconds: planEvery.nanoseconds, directory: policies ?? out + "/policies",
                    plan: PlanOptions(headroom: headroom, churnPenalty: churn, targetUtilisation: targetUtilisation), modelPath: models.model)
                plannerOptions.efficiencyModelPath = models.efficiencyModel
                planner = try IntervalPlanner(
                    topology: topo, topologyData: try Data(contentsOf: URL(fileURLWithPath: topology)),
                    inputDescription: "replay \((file as NSString).lastPathComponent) window \(window.nanoseconds)ns sampling \(sampling)",
                    options: plannerOptions)
                if let warning = planner?.modelWarning { printError("flowcast replay: \(warning)") }
                if let warning = planner?.stepWarning(windowSeconds: Double(window.nanoseconds) / 1e9) { printError("flowcast replay: \(warning)") }
            }
            let publisher = try publishing.makePublisher(command: "replay", out: out, mode: "replay")
            result = try runReplay(options, planner: planner, publisher: publisher)
            if let earlier {
                do { try FileManager.default.removeItem(atPath: earlier) } catch {
                    printError("flowcast replay: warning: the earlier run's files in \(earlier) could not be removed: \(error.localizedDescription)")
                }
            }
            // Folders kept by runs that did not finish stay (they may hold the last finished run);
            // each rerun after one adds none, but they are said, so they do not pile up unseen.
            let kept = PreviousRun.archives(in: out)
            if !kept.isEmpty && !quiet {
                printError("flowcast replay: note: \(kept.joined(separator: ", ")) still hold\(kept.count == 1 ? "s" : "") files of an earlier run, "
                           + "kept when a run did not finish; remove \(kept.count == 1 ? "it" : "them") when no longer needed")
            }
            unsent = publishing.finish(publisher, command: "replay", quiet: quiet,
                              summary: TapEndSummary(packets: result.totals.packets, windowLines: result.windowLines,
                                                     capture: (file as NSString).lastPathComponent),
                              summaryFile: out + "/summary.json")
        } catch let exit as ExitCode {
            progress?.finish()
            keepOrRestore(earlier, options.previousRun, policies: policies)
            throw exit
        } catch {
            progress?.finish()
            printError("flowcast replay: \(error)")
            keepOrRestore(earlier, options.previousRun, policies: policies)
            throw ExitCode(2)
        }
        progress?.finish()
        let t = result.totals
        if !quiet {
            reading.filterNote(command: "replay", passed: result.decode.packets, skipped: result.decode.filteredPackets)
            printError("flowcast replay: \(t.packets) packets, \(result.flowsWritten) flows, \(t.windows) windows; "
                + "\(t.unmatchedPackets) packets matched no cell; wrote \(out)/windows.jsonl, flows.jsonl, summary.json")
        }
        // Flows ended at the table's bound are cut in pieces: said, as `flows` says it (a replay of
        // 1.1 M flows at one instant evicted 131,072 with nothing but summary.json to say so).
        if result.flowsEvicted > 0 {
            printError("flowcast replay: warning: \(result.flowsEvicted) flow\(result.flowsEvicted == 1 ? "" : "s") evicted at the bound of "
                + "\(result.maximumFlows) live flows (--max-flows; each piece is its own line in flows.jsonl, summary.json flows.evicted)")
        }
        // Warnings, printed with --quiet too: a cell planned at zero because its rules match
        // nothing looked like a healthy idle cell.
        if !result.silent.isEmpty && t.packets > 0 {
            let shown = result.silent.prefix(10).joined(separator: ", ") + (result.silent.count > 10 ? ", …" : "")
            printError("flowcast replay: warning: no packet of the run matched \(result.silent.count) of the topology's cells and links "
                + "(\(shown)): their windows are all empty; check their match rules (docs/topology.md)")
        }
        if let note = result.decode.timeNote { printError("flowcast replay: warning: \(note)") }
        if let note = result.decode.lengthNote { printError("flowcast replay: warning: \(file.visible): \(note)") }
        if let first = t.firstMalformedSignalling {
            printError("flowcast replay: warning: \(file.visible): \(t.malformedSignalling) GTPv2-C message\(t.malformedSignalling == 1 ? " was" : "s were") "
                + "malformed, the first in packet \(first.packet) (\(first.problem)); what they held was learned all the same, as tshark reads it "
                + "(summary.json cells.malformedSignalling)")
        }
        if let note = result.decode.datedAheadNote { printError("flowcast replay: warning: \(file.visible): \(note)") }
        // Packets older than the open window are counted in it (summary.json windows.latePackets):
        // a few from taps merged out of order, or, after one packet dated far ahead, the rest of
        // the capture in that packet's window, which was said nowhere but summary.json.
        if t.latePackets > 0 && t.packets > 0 {
            let share = Double(t.latePackets) / Double(t.packets) * 100
            // Where to look: the first late packet, and a packet that jumped a skipped gap (one
            // packet dated decades ahead put the rest of a capture in its window, said as a count).
            let first = t.firstLatePacket.map { ", the first packet \($0)" } ?? ""
            let jump = t.firstGapPacket.map { "; packet \($0) is dated after a gap of \(t.skippedEmptyWindows) empty windows (skipped): dated ahead of the rest?" } ?? ""
            printError("flowcast replay: warning: \(file.visible): \(t.latePackets) packet\(t.latePackets == 1 ? "" : "s") (\(String(format: share < 0.1 ? "%.2g" : "%.1f", share)) %) \(t.latePackets == 1 ? "was" : "were") older "
                + "than the open window and were counted in it (summary.json windows.latePackets\(first)): a capture merged out of time order, "
                + "or a packet dated ahead of the rest\(jump)")
        }
        // A gap skipped without late packets was said only in summary.json (an audit: a 6-year
        // jump in one capture, 31,096,251 windows, and not a line on the terminal).
        if t.latePackets == 0, t.skippedEmptyWindows > 0 {
            let at = t.firstGapPacket.map { " before packet \($0)" } ?? ""
            printError("flowcast replay: note: \(file.visible): \(t.skippedEmptyWindows) empty windows of a gap in capture time\(at) were skipped, "
                + "not written (summary.json windows.skippedEmptyWindows; a gap over a day of windows or 100,000 of them is skipped whole)")
        }
        // --quiet silences progress, not loss: a collector that missed flows is always said.
        if !quiet || result.ipfix.contains(where: \.lostSomething) {
            for line in IPFIXArguments.report(result.ipfix) { printError("flowcast replay: \(line)") }
        }
        if let planner {
            if !quiet { printError("flowcast replay: \(planner.policiesWritten) policies in \(policies ?? out + "/policies")") }
            for failure in planner.planFailures { printError("flowcast replay: plan failed: \(failure)") }
            for problem in planner.efficiencyProblems { printError("flowcast replay: warning: radio KPIs: \(problem)") }
        }
        if let error = result.windowBoundError { printError("flowcast replay: \(error)") }
        if let error = result.captureError {
            printError("flowcast replay: \(error) (everything before it was written\("\(error)".contains("may be damaged too") ? ", and may be wrong" : ""))")
            throw ExitCode(2)
        }
        if result.windowBoundError != nil { throw ExitCode(2) }
        if unsent { throw ExitCode(PublishArguments.unsentExitStatus) }
        // A collector that did not get every flow: status 3, as a tap whose windows were not all
        // published (every file is written; the counts are above and in summary.json). It was 0
        // until 7 December 2026, so a script could not tell a replay every collector got whole
        // from one whose collector was down throughout (an audit).
        if result.ipfix.contains(where: \.lostSomething) {
            printError("flowcast replay: a collector lost flows or records (exit status \(PublishArguments.unsentExitStatus))")
            throw ExitCode(PublishArguments.unsentExitStatus)
        }
    }
}

/// A live progress line on standard error, only when it is a terminal.
final class ProgressLine: @unchecked Sendable {
    private let start = Date()
    private var last = Date.distantPast

    static func makeIfTerminal() -> ProgressLine? { isatty(2) != 0 ? ProgressLine() : nil }

    func update(packets: Int, fraction: Double, flows: Int) {
        let now = Date()
        guard now.timeIntervalSince(last) >= 0.25 else { return }
        last = now
        let elapsed = max(now.timeIntervalSince(start), 1e-3)
        let line = String(format: "\r%5.1f%%  %d packets  %.2f Mpkt/s  %d live flows ", min(fraction, 1) * 100,
                          packets, Double(packets) / elapsed / 1e6, flows)
        FileHandle.standardError.write(Data(line.utf8))
    }

    func finish() { FileHandle.standardError.write(Data("\r\u{1B}[K".utf8)) }
}
