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

    /// `live` refuses to run without --topology or --out ("Error: missing --topology"), unlike
    /// replay, which infers a topology: its help must say so.
    @Test("live's help marks --topology and --out as required, as the command treats them")
    func liveRequiredOptions() throws {
        let help = try Fixtures.runFlowcast(["help", "live"])
        let text = help.stdout.split(whereSeparator: \.isWhitespace).joined(separator: " ")
        for option in ["--topology", "--out"] {
            let at = try #require(text.range(of: option + " <"), "\(option) not in live's help")
            // The option's help runs to the next option line.
            let after = text[at.upperBound...]
            let end = after.range(of: " --")?.lowerBound
            #expect(after[..<(end ?? after.endIndex)].lowercased().contains("required"), "\(option): \(after.prefix(120))")
            let without = try Fixtures.runFlowcast(["live", "-i", "lo"] + (option == "--out" ? ["--topology", "t.yaml"] : ["--out", "o"]))
            #expect(without.status == 64 && without.stderr.contains("missing \(option)"), "\(without.stderr)")
        }
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

    /// A duration outside 1 ms to 366 days is named with its option and the range, for every
    /// duration option (ArgumentParser's own message said only "The value '0' is invalid"); a
    /// negative one after a space is read as the value, not as a missing one.
    @Test("an out-of-range duration names the option, the value and the range", arguments: [
        ["replay", "x.pcap", "--out", "o", "--window", "0"], ["replay", "x.pcap", "--out", "o", "--plan-every", "400d"],
        ["live", "-i", "lo", "--window", "9000h"], ["live", "-i", "lo", "--plan-every", "-1s"],
        ["planner", "--nats", "nats://127.0.0.1:1", "--topology", "t", "--out", "o", "--sites", "a", "--lateness", "0.5ms"],
        ["planner", "--nats", "nats://127.0.0.1:1", "--topology", "t", "--out", "o", "--sites", "a", "--plan-every", "0"],
        ["backtest", "--plan-every", "0s"], ["evaluate", "--model", "m", "--series", "s", "--from", "1", "--horizon", "0"],
        ["train", "--series", "s", "--out", "m", "--horizon", "367d"],
    ])
    func durationOutOfRange(_ arguments: [String]) throws {
        let run = try Fixtures.runFlowcast(arguments)
        let (option, value) = (arguments[arguments.count - 2], arguments[arguments.count - 1])
        #expect(run.status == 64, "\(run.stderr)")
        let first = run.stderr.split(separator: "\n").first.map(String.init) ?? ""
        #expect(first == "Error: \(option) \(value) is out of range: a duration is 1 ms to 366 days (e.g. 500ms, 10s, 5m, 2h, 1d)", "\(first)")
    }

    /// Every numeric option reads a negative value after a space as its value and refuses it for
    /// its range or type; these said "Missing value for '--trees <trees>'".
    @Test("a negative number after a space is the option's value, refused by its range", arguments: [
        (["train", "--series", "s.csv", "--out", "m.json", "--trees", "-1"], "Error: --trees must be between 0 and 4096"),
        (["synth", "--out", "x.pcapng", "--seed", "-1"], "Error: The value '-1' is invalid for '--seed <seed>'"),
        (["replay", "x.pcap", "--out", "o", "--max-flows", "-1"], "Error: --max-flows must be between 1 and 268435456"),
        (["live", "-i", "lo", "--topology", "t.yaml", "--out", "o", "--snaplen", "-1"], "Error: --snaplen must be at least 64"),
    ])
    func negativeValuesAreRead(_ arguments: [String], _ message: String) throws {
        let run = try Fixtures.runFlowcast(arguments)
        #expect(run.status == 64, "\(run.stderr)")
        #expect(run.stderr.hasPrefix(message), "\(run.stderr)")
    }
}



/// An empty argument (`--out "$OUT"` with OUT unset) read as the current folder or as no file:
/// `export --out ''` said ": is a folder, not a file", `evaluate --model ''` "/work: cannot read
/// the model file: is a folder", `replay --out ''` "cannot create the folder: … doesn't exist".
@Suite("Empty arguments")
struct EmptyArgumentTests {
    @Test("an empty argument is a usage error naming the option before it, before anything is read or written",
          arguments: [
            (["export", "--to", "iproute", "--out", "", "no-such.json"], "flowcast export: an empty argument after --out (an unset variable?)"),
            (["report", "--out", "", "no-such-folder"], "flowcast report: an empty argument after --out (an unset variable?)"),
            (["evaluate", "--model", "", "--series", "x.csv", "--from", "1"], "flowcast evaluate: an empty argument after --model (an unset variable?)"),
            (["replay", "captures/real/mixed-traffic-example.pcap", "--out", ""], "flowcast replay: an empty argument after --out (an unset variable?)"),
            (["decode", ""], "flowcast decode: an empty argument (an unset variable?)"),
            (["topology", "check", ""], "flowcast topology check: an empty argument (an unset variable?)"),
          ] as [([String], String)])
    func emptyArgumentIsRefused(_ arguments: [String], _ message: String) throws {
        let run = try Fixtures.runFlowcast(arguments)
        #expect(run.status == 64)
        #expect(run.stderr == message + "\n", "\(run.stderr)")
        #expect(run.stdout.isEmpty)
    }

    @Test("an empty --filter still means every packet, as tcpdump reads it")
    func emptyFilterIsAllowed() throws {
        let run = try Fixtures.runFlowcast(["decode", "--filter", "", "captures/real/mixed-traffic-example.pcap"])
        #expect(run.status == 0, "\(run.stderr)")
        let all = try Fixtures.runFlowcast(["decode", "captures/real/mixed-traffic-example.pcap"])
        #expect(run.stdout == all.stdout && !all.stdout.isEmpty)
    }
}
