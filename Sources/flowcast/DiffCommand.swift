import FlowcastCore
import FlowcastReview
import ArgumentParser
import FlowcastPipeline
import FlowcastPolicy
import Foundation
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

struct DiffCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "diff",
        abstract: "Compare two policy documents (or two folders of them) by cell, demand and link.",
        discussion: """
            Exit status: 0 when equal (changes hidden by thresholds do not count), 1 when different, \
            2 on error (unreadable, corrupt or schema-invalid file; other schema version), 64 for \
            a bad option or argument. No \
            threshold hides a constraint NEW breaks that OLD did not, nor the change on what it \
            breaks (the cell's reallocation, the link's shift, a reroute onto the link): those always \
            show and make the documents different. See docs/review.md.
            """)

    @Argument(help: "The old policy JSON file, or a folder of them.") var old: String
    @Argument(help: "The new policy JSON file, or a folder of them (files matched by name).") var new: String
    @Option(help: "Output format: text, markdown or json.") var format: DiffOutputFormat = .text
    @Flag(help: "Plain text even on a terminal.") var noColor = false
    @Option(parsing: .unconditional, help: "Hide demands where less than this share of traffic moves (0.05 or 5%).")
    var minWeightChange: Share = Share(value: 0)
    @Option(parsing: .unconditional, help: "Hide cells where fewer blocks than this are gained plus lost.") var minBlocks: Int = 0
    @Option(parsing: .unconditional,
            help: "Hide links, and leave out of the impact cells, whose predicted utilisation moves less than this (0.02 or 2%).")
    var minUtilisationChange: Share = Share(value: 0)
    @Option(parsing: .unconditional, help: "Path weights at most this far apart are equal (0 to 0.01, for rounding).") var weightTolerance: Share = Share(value: 0.001)

    func run() throws {
        // Exit 2 (not ArgumentParser's 64) for bad values, like diff(1).
        // Each refusal names the option and the value as given.
        if minBlocks < 0 {
            printError("flowcast diff: --min-blocks is a count of blocks, 0 or more, not \(minBlocks)")
            throw ExitCode(2)
        }
        // A share past 1 hid every change but a new violation's ("--min-weight-change 5", meant
        // as 5 %), and a tolerance is for rounding: --weight-tolerance 1 made every reroute equal,
        // one onto a newly overloaded link included, and counted none of them as hidden.
        for (option, share) in [("--min-weight-change", minWeightChange), ("--min-utilisation-change", minUtilisationChange)]
        where !(share.value >= 0 && share.value <= 1) {
            printError("flowcast diff: \(option) is a share, 0 to 1 (or 0% to 100%), not \(share.given.visible)"
                + (!share.given.hasSuffix("%") && share.value > 1 && share.value <= 100
                   ? "; for \(DiffFormat.trimmed(share.value, decimals: 2)) % give \(DiffFormat.trimmed(share.value, decimals: 2))%" : ""))
            throw ExitCode(2)
        }
        guard weightTolerance.value >= 0, weightTolerance.value <= 0.01 else {
            printError("flowcast diff: --weight-tolerance is for rounding, 0 to 0.01 (1%), not \(weightTolerance.given.visible); "
                + "--min-weight-change hides small moves, and counts them")
            throw ExitCode(2)
        }
        let options = DiffOptions(weightTolerance: weightTolerance.value, minWeightChange: minWeightChange.value,
                                  minBlocks: minBlocks, minUtilisationChange: minUtilisationChange.value)
        let comparison: PolicyComparison
        let output: String
        do {
            comparison = try PolicyComparison.compare(old: URL(fileURLWithPath: old), new: URL(fileURLWithPath: new),
                                                      options: options)
            switch format {
            case .text: output = comparison.text(colour: !noColor && Self.stdoutIsColourTerminal)
            case .markdown: output = comparison.markdown()
            case .json: output = try comparison.json()
            }
        } catch {
            // A path names the file at fault; its control characters shown, as in the output.
            printError(DiffFormat.visible(CommandError.line("diff", error, given: [old, new])))
            throw ExitCode(2)
        }
        // write(2) rather than stdio: a failed write keeps its reason ("No space left on device";
        // through print it read "a write failed": an audit).
        let out = BufferedOutput()
        out.write(output)
        out.flush()
        throw ExitCode(comparison.exitStatus)
    }

    /// A terminal that wants colour: stdout is a TTY, `NO_COLOR` is unset or empty and `TERM` is not `dumb`.
    static var stdoutIsColourTerminal: Bool {
        let env = ProcessInfo.processInfo.environment
        // no-color.org: NO_COLOR set to something other than the empty string.
        return isatty(STDOUT_FILENO) == 1 && (env["NO_COLOR"] ?? "").isEmpty && env["TERM"] != "dumb"
    }
}

enum DiffOutputFormat: String, ExpressibleByArgument, CaseIterable {
    case text, markdown, json
}

/// A share written as a fraction (`0.05`) or a percentage (`5%`).
struct Share: ExpressibleByArgument {
    var value: Double
    /// The argument as typed, for messages ("150%", not 1.5).
    var given: String

    init(value: Double) { self.value = value; given = "\(value)" }

    init?(argument: String) {
        given = argument
        if argument.hasSuffix("%") {
            guard let percent = Double(argument.dropLast()) else { return nil }
            value = percent / 100
        } else {
            guard let fraction = Double(argument) else { return nil }
            value = fraction
        }
    }

    var defaultValueDescription: String { "\(value)" }
}
