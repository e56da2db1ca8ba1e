import ArgumentParser
import FlowcastPipeline
import FlowcastPolicy
import Foundation

struct ExportCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "export",
        abstract: "Export a policy document as O-RAN A1 policies, ip route commands or NR cell configuration.")

    @Argument(help: "A policy JSON file (flowcast plan).") var policy: String
    @Option(help: "Format: \(ExportFormat.allCases.map(\.rawValue).joined(separator: ", ")).") var to: String
    @Option(help: "Write to FILE (atomically) instead of standard output.") var out: String?

    func validate() throws {
        if ExportFormat(rawValue: to) == nil {
            throw ValidationError("--to must be one of \(ExportFormat.allCases.map(\.rawValue).joined(separator: ", "))")
        }
    }

    func run() throws {
        do {
            let document = try PolicyDocument(contentsOf: URL(fileURLWithPath: policy))
            let text = try PolicyExporter.export(document, as: ExportFormat(rawValue: to)!)
            if let out {
                try PolicyDocument.writeAtomically(Data(text.utf8), to: URL(fileURLWithPath: out))
            } else {
                print(text, terminator: "")
            }
        } catch PolicyError.inconsistent(let message) where message.hasPrefix("$.") {
            // A document that reads but cannot be exported as it stands: name it, as a read error does.
            printError("flowcast export: \(policy): \(message)")
            throw ExitCode.failure
        } catch {
            printError(CommandError.line("export", error, given: [policy] + (out.map { [$0] } ?? [])))
            throw ExitCode.failure
        }
    }
}
