import ArgumentParser
import Foundation
import FlowcastCore
import FlowcastPipeline
#if canImport(Glibc)
import Glibc
#endif

@main
struct Flowcast: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "flowcast",
        abstract: "Turn telecom traffic into network decisions: capture, decode, aggregate, predict, decide, review.",
        version: FlowcastVersion.current,
        // Each subcommand lives in its own file under Sources/flowcast/.
        subcommands: [
            DecodeCommand.self,
            InspectCommand.self,
            FlowsCommand.self,
            ReplayCommand.self, LiveCommand.self, PlannerCommand.self, PoliciesCommand.self,
            SynthCommand.self,
            DemoCommand.self,
            TrainCommand.self, EvaluateCommand.self,
            TopologyCommand.self, PlanCommand.self, ExportCommand.self, BacktestCommand.self,
            DiffCommand.self, ReportCommand.self,
        ]
    )

    /// `ParsableCommand.main`, then a check that standard output took every byte. A command's
    /// output to a full disk or a closed pipe (with SIGPIPE ignored) was cut short with exit
    /// status 0 until 7 December 2026 (an audit: `export --to iproute > routes.sh` on a full disk
    /// left a script ending in `ip route replace 1`, which bash runs). Now such a run says so on
    /// stderr and exits 2 (a `diff` too, whose 1 means "different" only when the diff was shown whole).
    static func main() {
        let command: any ParsableCommand
        do { command = try parseAsRoot() } catch { exitChecked(error) }
        var running = command
        let name = commandPath(type(of: command), in: Flowcast.self)?.joined(separator: " ")
        if let problem = emptyArgument(Array(CommandLine.arguments.dropFirst())) {
            FileHandle.standardError.write(Data("flowcast\(name.map { " " + $0 } ?? ""): \(problem)\n".utf8))
            Glibc.exit(64)
        }
        do {
            try running.run()
        } catch {
            if let code = error as? ExitCode, code.rawValue <= 1 { StandardOutput.finish(command: name) }
            exitChecked(error)
        }
        StandardOutput.finish(command: name)
    }

    /// `exit(withError:)`, but help and `--version` (a clean exit: `flowcast help X` runs as a
    /// command that throws one) are written as any output is, and checked the same.
    static func exitChecked(_ error: any Error) -> Never {
        if exitCode(for: error) == .success {
            let out = BufferedOutput()
            out.write(fullMessage(for: error) + "\n")
            out.flush()
            StandardOutput.finish(command: nil)
            Glibc.exit(0)
        }
        exit(withError: error)
    }

    /// An empty argument (`--out "$OUT"` with OUT unset) is a mistake wherever it goes: an empty
    /// name read as the current folder ("export --out ''": ": is a folder, not a file"; "evaluate
    /// --model ''": "/work: cannot read the model file: is a folder"), or as no file. Refused
    /// with a usage error naming the option before it; `--filter ''` (match everything, as
    /// tcpdump reads it) is allowed.
    static func emptyArgument(_ arguments: [String]) -> String? {
        var previous: String?
        for argument in arguments {
            if argument.isEmpty && previous != "--filter" {
                guard let option = previous, option.hasPrefix("-") else { return "an empty argument (an unset variable?)" }
                return "an empty argument after \(option) (an unset variable?)"
            }
            if argument.hasPrefix("--"), argument.hasSuffix("="), argument.count > 3, argument != "--filter=" {
                return "an empty value in \(argument) (an unset variable?)"
            }
            previous = argument
        }
        return nil
    }

    /// The words that name `target` under `parent` ("topology check"), as messages name commands.
    static func commandPath(_ target: any ParsableCommand.Type, in parent: any ParsableCommand.Type) -> [String]? {
        for sub in parent.configuration.subcommands {
            let name = sub.configuration.commandName ?? sub._commandName
            if ObjectIdentifier(sub) == ObjectIdentifier(target) { return [name] }
            if let rest = commandPath(target, in: sub) { return [name] + rest }
        }
        return nil
    }
}
