import FlowcastTestSupport
import Foundation
import Testing

/// Help is what a newcomer reads first: every default must print as a user would type it.
@Suite("flowcast help")
struct HelpTests {
    /// The subcommands a help page lists under SUBCOMMANDS.
    static func subcommands(of help: String) -> [String] {
        guard let section = help.range(of: "SUBCOMMANDS:\n") else { return [] }
        return help[section.upperBound...].split(separator: "\n").compactMap { line in
            // A subcommand line starts with exactly two spaces and a name; wrapped abstracts are deeper.
            guard line.hasPrefix("  "), !line.hasPrefix("   "), let name = line.split(separator: " ").first else { return nil }
            return name == "See" ? nil : String(name)
        }
    }

    /// Every command path: each subcommand and, one level down, its own subcommands.
    static func commandPaths() throws -> [[String]] {
        let top = try Fixtures.runFlowcast(["--help"])
        var paths: [[String]] = []
        for name in subcommands(of: top.stdout) {
            paths.append([name])
            let help = try Fixtures.runFlowcast(["help", name])
            for child in subcommands(of: help.stdout) { paths.append([name, child]) }
        }
        return paths
    }

    @Test("every subcommand's defaults are plain values, not Swift types")
    func defaultsArePlainValues() throws {
        let paths = try Self.commandPaths()
        #expect(paths.count >= 15, "found only \(paths)")
        #expect(paths.contains(["topology", "check"]))
        var defaults = 0
        for path in paths {
            let run = try Fixtures.runFlowcast(["help"] + path)
            #expect(run.status == 0, "flowcast help \(path.joined(separator: " ")): \(run.stderr)")
            // Help wraps long lines: join them before reading each "(default: …)".
            let text = run.stdout.split(whereSeparator: \.isWhitespace).joined(separator: " ")
            var rest = text[...]
            while let open = rest.range(of: "(default: ") {
                let value = rest[open.upperBound...].prefix { $0 != ")" }
                defaults += 1
                let plain = !value.contains("(") && !value.contains(":") && !value.contains("Argument")
                    && value.first.map { !$0.isUppercase || value.allSatisfy { !$0.isLowercase } || value.contains("/") } ?? false
                #expect(plain, "flowcast help \(path.joined(separator: " ")): default '\(value)' is not a plain value")
                rest = rest[open.upperBound...]
            }
        }
        #expect(defaults > 30)
    }

    @Test("durations print as typed", arguments: [["replay", "--window", "10s"], ["live", "--plan-every", "60s"], ["live", "--window", "10s"]])
    func durationDefaults(_ case: [String]) throws {
        let run = try Fixtures.runFlowcast(["help", `case`[0]])
        let text = run.stdout.split(whereSeparator: \.isWhitespace).joined(separator: " ")
        let option = try #require(text.range(of: `case`[1] + " <"))
        let after = text[option.upperBound...]
        let next = try #require(after.range(of: "(default: "))
        #expect(after[next.upperBound...].hasPrefix(`case`[2] + ")"))
    }
}
