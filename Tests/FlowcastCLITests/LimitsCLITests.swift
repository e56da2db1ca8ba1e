import FlowcastCore
import FlowcastTestSupport
import Foundation
import Testing

/// Command-line bounds (docs/limits.md), as a user meets them.
@Suite("Limits on the command line")
struct LimitsCLITests {
    @Test("--max-flows beyond the flow table's largest bound is a usage error, for every command that takes it",
          arguments: [["replay", "captures/demo/demo.pcapng", "--out", "/nonexistent/out"],
                      ["flows", "captures/demo/demo.pcapng"],
                      ["live", "-i", "lo", "--topology", "captures/demo/topology.yaml", "--out", "/nonexistent/out"]])
    func maxFlowsBeyondTheBound(_ command: [String]) throws {
        for value in ["0", "268435457"] {
            let run = try Fixtures.runFlowcast(command + ["--max-flows", value])
            #expect(run.status == 64, "\(command[0]) --max-flows \(value): \(run.stderr)")
            #expect(run.stderr.contains("--max-flows must be between 1 and 268435456"), "\(run.stderr)")
        }
    }

    /// A rule by `interface` matches the packets of that interface (pcapng if_name, tshark's
    /// frame.interface_name). Replay passed no interface, so such a rule matched no packet and its
    /// traffic went to the next rule (an audit: eth0's cell 0 bytes of 310, the prefix rule's
    /// cell 798 of 488). The truth: tshark's names (captures/real/interface-names.tsv) and frame
    /// lengths (the capture's expected output).
    @Test("a rule by interface takes that interface's packets, before the rules after it")
    func interfaceRulesMatchTheCaptureInterface() throws {
        let capture = "real/pcapng-multi-interface.pcapng"
        let names = try String(contentsOf: Fixtures.captures.appendingPathComponent("real/interface-names.tsv"), encoding: .utf8)
            .split(separator: "\n").map { $0.split(separator: "\t").map(String.init) }.filter { $0[0] == capture }
        let eth0 = Set(names.filter { $0[2] == "eth0" }.map { Int($0[1])! })
        let rows = try String(contentsOf: Fixtures.captures.appendingPathComponent(capture + ".expected.tsv"), encoding: .utf8)
            .split(separator: "\n").map { $0.split(separator: "\t", omittingEmptySubsequences: false).map(String.init) }
        let onEth0 = rows.filter { eth0.contains(Int($0[0])!) }.reduce(0) { $0 + Int($1[2])! }
        let others = rows.filter { !eth0.contains(Int($0[0])!) }.reduce(0) { $0 + Int($1[2])! }
        #expect(eth0.count == 2 && onEth0 == 310 && others == 488)
        let yaml = "bands:\n  - { id: n78, lowMHz: 3400, highMHz: 3600, blockMHz: 10 }\ncells:\n"
            + "  - { id: c1, band: n78, peakSpectralEfficiency: 5 }\n  - { id: c2, band: n78, peakSpectralEfficiency: 5 }\n"
            + "match:\n  - { interface: eth0, cell: c1 }\n  - { prefix: 1.1.1.1/32, cell: c2 }\n"
        let folder = Scratch.root.appendingPathComponent("flowcast-if-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: folder) }
        try yaml.write(toFile: folder + "/t.yaml", atomically: true, encoding: .utf8)
        for threads in ["1", "2"] {
            let run = try Fixtures.runFlowcast(["replay", "captures/" + capture, "--topology", folder + "/t.yaml", "--window", "1h",
                                                "--threads", threads, "--out", folder + "/out" + threads])
            #expect(run.status == 0, "\(run.stderr)")
            var bytes: [String: Int] = [:]
            for line in try String(contentsOfFile: folder + "/out\(threads)/windows.jsonl", encoding: .utf8).split(separator: "\n") {
                let window = try JSONDecoder().decode(WindowLine.self, from: Data(line.utf8))
                if window.kind == .cell { bytes[window.id, default: 0] += Int(window.bytesUp + window.bytesDown) }
            }
            #expect(bytes == ["c1": onEth0, "c2": others], "\(bytes)")
        }
    }

    /// The longest window replay takes is what every reader of windows.jsonl takes: at 366 days
    /// (`--window 366d`) `train` refused every line ("bad value for duration") and `report` read
    /// none, since the readers stopped at 365.
    @Test("windows of the longest --window read back")
    func longestWindowReadsBack() throws {
        let out = Scratch.root.appendingPathComponent("flowcast-366d-\(UUID().uuidString)").path
        defer { try? FileManager.default.removeItem(atPath: out) }
        let run = try Fixtures.runFlowcast(["replay", "captures/real/gtpu-msgtype-0x32.pcap", "--window", "366d", "--out", out])
        #expect(run.status == 0, "\(run.stderr)")
        let lines = try String(contentsOfFile: out + "/windows.jsonl", encoding: .utf8).split(separator: "\n")
        #expect(!lines.isEmpty)
        for line in lines {
            let window = try JSONDecoder().decode(WindowLine.self, from: Data(line.utf8))
            #expect(window.duration == 366 * 86_400)
        }
        #expect(WindowLine.maximumDuration == 366 * 86_400)
    }

    /// Help claims a help audit found unchecked: each was accepted and did something else (gaps
    /// between policies, an option ignored, a negative value read as "Missing value", the
    /// topology blamed for --paths 0).
    @Test("usage errors for what help says and the command did not check",
          arguments: [
            (["replay", "captures/demo/demo.pcapng", "--topology", "captures/demo/topology.yaml", "--out", "/nonexistent/out", "--plan-every", "15s"],
             "--plan-every (15s) must be a whole number of --window (10s windows)"),
            (["live", "-i", "lo", "--topology", "captures/demo/topology.yaml", "--out", "/nonexistent/out", "--window", "2s", "--plan-every", "5s"],
             "--plan-every (5s) must be a whole number of --window (2s windows)"),
            // Live always plans: its default interval is named, not an option the user never gave.
            (["live", "-i", "lo", "--topology", "captures/demo/topology.yaml", "--out", "/nonexistent/out", "--window", "7s"],
             "--plan-every (60s, the default) must be a whole number of --window (7s windows)"),
            (["replay", "captures/demo/demo.pcapng", "--out", "/nonexistent/out", "--model", "/nonexistent/model.json"],
             "--model needs --plan-every (it is used only when planning)"),
            (["replay", "captures/demo/demo.pcapng", "--out", "/nonexistent/out", "--policies", "/nonexistent/p"],
             "--policies needs --plan-every (it is used only when planning)"),
            (["live", "-i", "lo", "--topology", "captures/demo/topology.yaml", "--out", "/nonexistent/out", "--ring", "3"],
             "--ring and --ring-mb need --write"),
            (["plan", "--topology", "captures/demo/topology.yaml", "--forecasts", "policies/examples/demo-forecasts.json", "--out", "/nonexistent/p.json",
              "--paths", "0"], "--paths must be 1 to 64"),
            (["plan", "--topology", "captures/demo/topology.yaml", "--forecasts", "policies/examples/demo-forecasts.json", "--out", "/nonexistent/p.json",
              "--paths", "2305843009213693952"], "--paths must be 1 to 64"),
            (["backtest", "--topology", "captures/abilene/topology.yaml", "--series", "data/abilene/od_tm_public.csv", "--from", "40",
              "--paths", "2305843009213693952"], "1 to 64 candidate paths per demand"),
            (["plan", "--topology", "captures/demo/topology.yaml", "--forecasts", "policies/examples/demo-forecasts.json", "--out", "/nonexistent/p.json",
              "--churn", "-1"], "--churn must be 0 (none) to 10"),
            (["plan", "--topology", "captures/demo/topology.yaml", "--forecasts", "policies/examples/demo-forecasts.json", "--out", "/nonexistent/p.json",
              "--churn", "5"], "--churn needs --current"),
            (["synth", "--out", "/nonexistent/x.pcapng", "--rate", "-1"], "--rate must be positive"),
            // 1e6 a second for a day was taken and would have written 11 TB (an audit).
            (["synth", "--out", "/nonexistent/x.pcapng", "--rate", "1000000", "--duration", "86400"],
             "--rate × --duration is about 86400000000 packets (about 11362 GB); at most 50000000 (6.6 GB): lower --rate or --duration"),
            (["backtest", "--radio-scenario", "/nonexistent/scn", "--scale", "3"],
             "--scale is for the routing backtest; --radio-scenario does not use it"),
            (["backtest", "--radio-scenario", "/nonexistent/scn", "--target-utilisation", "5"],
             "--target-utilisation is for the routing backtest"),
            // The help-line audit: these were accepted with --radio-scenario and did nothing.
            (["backtest", "--radio-scenario", "/nonexistent/scn", "--no-change-scenarios"],
             "--no-change-scenarios is for the routing backtest"),
            (["backtest", "--radio-scenario", "/nonexistent/scn", "--no-normalise"], "--no-normalise is for the routing backtest"),
            // ... and options of planning, IPFIX or publishing given without them.
            (["replay", "captures/demo/demo.pcapng", "--out", "/nonexistent/out", "--headroom", "2"],
             "--headroom needs --plan-every (it is used only when planning)"),
            (["replay", "captures/demo/demo.pcapng", "--out", "/nonexistent/out", "--ipfix-mtu", "576"], "--ipfix-mtu needs --ipfix"),
            // At their defaults too (they were compared against the default until 7 December 2026).
            (["replay", "captures/demo/demo.pcapng", "--out", "/nonexistent/out", "--ipfix-mtu", "1400"], "--ipfix-mtu needs --ipfix"),
            (["replay", "captures/demo/demo.pcapng", "--out", "/nonexistent/out", "--ipfix-domain-id", "0"], "--ipfix-domain-id needs --ipfix"),
            (["replay", "captures/demo/demo.pcapng", "--out", "/nonexistent/out", "--ipfix-template-interval", "60"],
             "--ipfix-template-interval needs --ipfix"),
            (["replay", "captures/demo/demo.pcapng", "--out", "/nonexistent/out", "--ipfix-rate", "100000"], "--ipfix-rate needs --ipfix"),
            (["replay", "captures/demo/demo.pcapng", "--out", "/nonexistent/out", "--ipfix", "udp://127.0.0.1:4739", "--ipfix-rate", "-5"],
             "--ipfix-rate must be 0 (unpaced) or at least 1 record a second"),
            (["replay", "captures/demo/demo.pcapng", "--out", "/nonexistent/out", "--ipfix", "udp://127.0.0.1:4739", "--ipfix-rate", "0.5"],
             "--ipfix-rate must be 0 (unpaced) or at least 1 record a second"),
            (["replay", "captures/demo/demo.pcapng", "--out", "/nonexistent/out", "--ipfix", "udp://127.0.0.1:4739", "--ipfix-rate", "nan"],
             "--ipfix-rate must be 0 (unpaced) or at least 1 record a second"),
            (["replay", "captures/demo/demo.pcapng", "--out", "/nonexistent/out", "--spool-limit", "5"],
             "--site, --publish-flows, --nats-creds, --nats-tls-ca, --spool-limit and --publish-wait need --publish"),
            // ... and --model and --at with --forecasts, which the plan ignored, naming no model.
            (["plan", "--topology", "captures/demo/topology.yaml", "--forecasts", "policies/examples/demo-forecasts.json", "--out", "/nonexistent/p.json",
              "--model", "captures/demo/model.json", "--at", "5"], "--at and --model are for --series (--forecasts gives the forecasts)"),
            (["backtest", "--topology", "captures/abilene/topology.yaml", "--series", "data/abilene/od_tm_public.csv", "--from", "10",
              "--sizing", "bogus"], "--sizing needs --radio-scenario"),
            (["backtest", "--topology", "captures/abilene/topology.yaml", "--series", "data/abilene/od_tm_public.csv", "--from", "10",
              "--plan-every", "7s"], "--plan-every needs --radio-scenario"),
          ] as [([String], String)])
    func uncheckedHelpClaims(_ arguments: [String], _ message: String) throws {
        let run = try Fixtures.runFlowcast(arguments)
        #expect(run.status == 64, "\(arguments): \(run.stderr)")
        #expect(run.stderr.contains(message), "\(arguments): \(run.stderr)")
    }

    /// A timeout past Int64's nanoseconds (9.2e9 s, or inf) trapped; NaN and negative ones passed
    /// live's checks, which had none.
    @Test("flow timeouts that are negative, not a number or too large are usage errors, for every command that takes them",
          arguments: [["replay", "captures/demo/demo.pcapng", "--out", "/nonexistent/out"],
                      ["flows", "captures/demo/demo.pcapng"],
                      ["live", "-i", "lo", "--topology", "captures/demo/topology.yaml", "--out", "/nonexistent/out"]])
    func flowTimeoutsOutOfRange(_ command: [String]) throws {
        for (option, value) in [("--idle-timeout", "1e10"), ("--idle-timeout", "inf"), ("--active-timeout", "nan"),
                                ("--active-timeout=-1", nil)] as [(String, String?)] {
            let run = try Fixtures.runFlowcast(command + [option] + (value.map { [$0] } ?? []))
            let name = option.split(separator: "=")[0]
            #expect(run.status == 64, "\(command[0]) \(option) \(value ?? ""): \(run.stderr)")
            #expect(run.stderr.contains("\(name) must be 0 (never) to 1000000000 seconds"), "\(run.stderr)")
        }
    }

    /// A time in milliseconds (or any past 2262) trapped converting to nanoseconds; 0 and negative
    /// times reached JetStream, which refused the consumer with its own words.
    @Test("--from outside 1970–2262 is a usage error for policies and the planner",
          arguments: [["policies", "--nats", "nats://127.0.0.1:1", "--out", "/nonexistent/out"],
                      ["planner", "--nats", "nats://127.0.0.1:1", "--topology", "captures/demo/topology.yaml",
                       "--out", "/nonexistent/out", "--sites", "a"]])
    func fromOutOfRange(_ command: [String]) throws {
        for value in ["1764403200000", "1e10", "0", "-1", "nan", "1969-12-31T00:00:00Z"] {
            let run = try Fixtures.runFlowcast(command + ["--from=\(value)"])
            #expect(run.status == 64, "\(command[0]) --from=\(value): \(run.stderr)")
            #expect(run.stderr.contains("--from must be a time after 1970 and before 2262"), "\(run.stderr)")
        }
    }

    /// Written with a space, a negative value read as an option: "Missing value for '--duration'".
    @Test("a negative number after a space is the option's value, refused for what it is")
    func negativeAfterASpace() throws {
        let cases: [([String], String)] = [
            (["synth", "--out", "/nonexistent/x.pcapng", "--duration", "-5"], "--duration must be 1 to 86400 seconds"),
            (["decode", "captures/real/dhcp-flood.pcap", "-c", "-1"], "-c must be zero or more"),
            (["inspect", "captures/real/dhcp-flood.pcap", "--top", "-1"], "--top must be zero or more"),
            (["flows", "captures/real/dhcp-flood.pcap", "--idle-timeout", "-5"], "--idle-timeout must be 0 (never) to 1000000000 seconds"),
            (["policies", "--nats", "nats://127.0.0.1:1", "--out", "/nonexistent/out", "--from", "-1"], "--from must be a time after 1970"),
        ]
        for (arguments, message) in cases {
            let run = try Fixtures.runFlowcast(arguments)
            #expect(run.status == 64 && run.stderr.contains(message), "\(arguments): \(run.stderr)")
        }
    }

    @Test("inspect --top below 0 is a usage error (it trapped)")
    func negativeTop() throws {
        let run = try Fixtures.runFlowcast(["inspect", "captures/real/http-web-browsing.pcap", "--top=-1"])
        #expect(run.status == 64 && run.stderr.contains("--top must be zero or more"), "\(run.stderr)")
    }

    @Test("--trees and --upper-trees beyond the largest a model file holds are usage errors")
    func treesBeyondTheBound() throws {
        let base = ["train", "--series", "data/abilene/link_load_ospf_public.csv", "--out", "/nonexistent/model.json"]
        let trees = try Fixtures.runFlowcast(base + ["--trees", "4097"])
        #expect(trees.status == 64 && trees.stderr.contains("--trees must be between 0 and 4096"), "\(trees.stderr)")
        let upper = try Fixtures.runFlowcast(base + ["--trees", "64", "--upper-trees", "4097"])
        #expect(upper.status == 64 && upper.stderr.contains("--upper-trees must be at most 4096"), "\(upper.stderr)")
    }

    /// An interval model's heads all take --trees and its band is P10–P90: --upper-trees and
    /// --quantile were silently ignored with --horizon.
    @Test("--upper-trees and --quantile with --horizon are usage errors, not ignored")
    func oneStepOptionsWithAHorizon() throws {
        let base = ["train", "--series", "data/abilene/link_load_ospf_public.csv", "--out", "/nonexistent/model.json", "--horizon", "300s"]
        let upper = try Fixtures.runFlowcast(base + ["--upper-trees", "3"])
        #expect(upper.status == 64 && upper.stderr.contains("--upper-trees is for one-step models; with --horizon every head takes --trees"), "\(upper.stderr)")
        let quantile = try Fixtures.runFlowcast(base + ["--quantile", "0.8"])
        #expect(quantile.status == 64 && quantile.stderr.contains("--quantile is for one-step models; with --horizon the band is P10–P90"), "\(quantile.stderr)")
    }

    /// Durations past Int64's nanoseconds trapped; ones that round to 0 ns passed every check for
    /// a positive duration and trapped later. Both are usage errors now, naming the range; a value
    /// that is no duration at all ("1w") names the units (ArgumentParser said only "invalid", and
    /// "1d", which the range's own "366 days" invites, was one such).
    @Test("a duration under 1 ms or over 366 days is a usage error", arguments: ["99999999999999999s", "1e-12s", "0.5ms", "367d", "8785h", "1w"])
    func durationsBeyondTheirBounds(_ value: String) throws {
        let run = try Fixtures.runFlowcast(["replay", "captures/demo/demo.pcapng", "--out", "/nonexistent/out", "--window", value])
        #expect(run.status == 64, "\(value): \(run.stderr)")
        let message = value == "1w" ? "Error: --window '1w' is not a duration: a number with ms, s, m, h or d, or of seconds alone (e.g. 500ms, 10s, 5m, 2h, 1d, 60)"
            : "Error: --window \(value) is out of range: a duration is 1 ms to 366 days"
        #expect(run.stderr.contains(message), "\(run.stderr)")
    }

    /// A day is a unit: `--window 1d` is 86,400 s (it was refused as an invalid value).
    @Test func aDayIsADuration() throws {
        let out = Scratch.root.appendingPathComponent("flowcast-day-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: out) }
        let run = try Fixtures.runFlowcast(["replay", "captures/real/http-web-browsing.pcap", "--out", out.path, "--window", "1d", "--quiet"])
        #expect(run.status == 0, "\(run.stderr)")
        let summary = try #require(try JSONSerialization.jsonObject(with: Data(contentsOf: out.appendingPathComponent("summary.json"))) as? [String: Any])
        #expect((summary["windows"] as? [String: Any])?["seconds"] as? Double == 86_400, "\(summary["windows"] ?? "")")
    }

    /// --sampling past a million wrapped the scaled counters past 2^64 without a word.
    @Test func samplingIsBounded() throws {
        let run = try Fixtures.runFlowcast(["replay", "captures/demo/demo.pcapng", "--out", "/nonexistent/out", "--sampling", "1000001"])
        #expect(run.status == 64 && run.stderr.contains("--sampling must be 1 to 1000000 (1 packet in N), not 1000001"), "\(run.stderr)")
    }

    /// Objective weights and costs a solver can take (1e300 or inf made Clp abort with an
    /// assertion), a target that is a utilisation, a --history that stays a plan.
    @Test("the backtest's weights, costs, target and history are bounded")
    func backtestOptionsWithinTheirBounds() throws {
        let routing = ["backtest", "--topology", "captures/abilene/topology.yaml", "--series", "data/abilene/od_tm_public.csv", "--from", "1"]
        for (option, value, message) in [("--mean-weight", "inf", "--mean-weight and --link-weight must be 0 to 1000"),
                                         ("--link-weight", "1e300", "--mean-weight and --link-weight must be 0 to 1000"),
                                         ("--target-utilisation", "inf", "--target-utilisation must be 0 (pure min-max utilisation) to 1"),
                                         ("--target-utilisation", "1.5", "--target-utilisation must be 0 (pure min-max utilisation) to 1"),
                                         ("--history", "1000", "--history 1000 is out of range: 1 to 288 intervals"),
                                         ("--paths", "0", "--paths 0 is out of range: 1 to 64 candidate paths per demand"),
                                         ("--scale", "1e300", "--scale must be more than 0 and at most 1e6")] {
            let run = try Fixtures.runFlowcast(routing + [option, value])
            #expect(run.status == 64 && run.stderr.contains(message), "\(option) \(value): \(run.stderr)")
        }
        let spectrum = try Fixtures.runFlowcast(["backtest", "--radio-scenario", "/nonexistent", "--change-cost", "1e300"])
        #expect(spectrum.status == 64 && spectrum.stderr.contains("--change-cost must be 0 to 100"), "\(spectrum.stderr)")
    }

    /// A NaN or negative churn penalty, or a headroom under 1, planned nonsense without a word
    /// (only `plan` checked the headroom); every command that plans refuses them alike.
    @Test("--headroom and --churn are bounded in every command that plans", arguments: [
        ["replay", "captures/demo/demo.pcapng", "--out", "/nonexistent/out"],
        ["live", "-i", "lo", "--topology", "captures/demo/topology.yaml", "--out", "/nonexistent/out"],
        ["planner", "--nats", "nats://127.0.0.1:1", "--topology", "captures/demo/topology.yaml", "--out", "/nonexistent/out", "--sites", "a"],
        ["plan", "--topology", "captures/demo/topology.yaml", "--forecasts", "/nonexistent/f.json", "--out", "/nonexistent/p.json"],
    ])
    func planningOptionsWithinTheirBounds(_ command: [String]) throws {
        for (option, message) in [("--headroom=0.5", "--headroom must be 1 (none) to 10"), ("--headroom=nan", "--headroom must be 1 (none) to 10"),
                                  ("--churn=-1", "--churn must be 0 (none) to 10"), ("--churn=inf", "--churn must be 0 (none) to 10")] {
            let run = try Fixtures.runFlowcast(command + [option])
            #expect(run.status == 64 && run.stderr.contains(message), "\(command[0]) \(option): \(run.stderr)")
        }
    }

    /// A load the routing LP cannot use is refused at its row and column (1e200 ended in "solver:
    /// unexpected solver status 4/0"; a negative one was read as 0 without a word).
    @Test("a routing backtest series value that is not a load is named by row and column")
    func seriesValueBeyondTheBound() throws {
        let text = try String(contentsOfFile: "data/abilene/od_tm_public.csv", encoding: .utf8)
        var lines = text.split(separator: "\n", omittingEmptySubsequences: false).prefix(60).map(String.init)
        let header = lines[0].split(separator: ",").map(String.init)
        let column = try #require(header.firstIndex { $0 == "od_0_1" })
        // 1e200 is beyond what any series file may hold (the reader names its line); -3 is a
        // series value but not a load.
        for (bad, expected) in [("1e200", ":7: column 'od_0_1': 1e200 is out of range (a series value is at most 1e15 in magnitude"),
                                ("-3", ": row 5 (0-based, as --from counts), column od_0_1: -3.0 Mbit/s is not a load")] {
            var fields = lines[6].split(separator: ",", omittingEmptySubsequences: false).map(String.init)
            let original = fields[column]
            fields[column] = bad
            lines[6] = fields.joined(separator: ",")
            let path = Scratch.root.appendingPathComponent("flowcast-od-\(UUID().uuidString).csv").path
            defer { try? FileManager.default.removeItem(atPath: path) }
            try (lines.joined(separator: "\n") + "\n").write(toFile: path, atomically: true, encoding: .utf8)
            let run = try Fixtures.runFlowcast(["backtest", "--topology", "captures/abilene/topology.yaml", "--series", path, "--from", "40"])
            #expect(run.status == 1, "\(run.stderr)")
            #expect(run.stderr.contains(path + expected), "\(run.stderr)")
            fields[column] = original
            lines[6] = fields.joined(separator: ",")
        }
    }

    /// Columns that carry no traffic say so: one with no value (it was silent, where a missing
    /// column warned) and the values the reader filled. A name given twice (the first was read
    /// without a word, then a warning said so) is refused, naming both columns.
    @Test("a routing backtest series' empty and missing columns are warned of, a repeated one refused")
    func emptyAndRepeatedColumns() throws {
        var lines = try String(contentsOfFile: "data/abilene/od_tm_public.csv", encoding: .utf8).split(separator: "\n").prefix(80)
            .map { $0.split(separator: ",", omittingEmptySubsequences: false).map(String.init) }
        let one = try #require(lines[0].firstIndex(of: "od_0_1")), two = try #require(lines[0].firstIndex(of: "od_0_2"))
        let path = Scratch.root.appendingPathComponent("flowcast-od-\(UUID().uuidString).csv").path
        defer { try? FileManager.default.removeItem(atPath: path) }
        func write() throws {
            try (lines.map { $0.joined(separator: ",") }.joined(separator: "\n") + "\n").write(toFile: path, atomically: true, encoding: .utf8)
        }
        lines[0][two] = "od_0_1"
        try write()
        let repeated = try Fixtures.runFlowcast(["backtest", "--topology", "captures/abilene/topology.yaml", "--series", path, "--from", "60"])
        #expect(repeated.status == 1, "\(repeated.stderr)")
        #expect(repeated.stderr.contains("\(path):1: columns \(one + 1) and \(two + 1) are both named 'od_0_1'"), "\(repeated.stderr)")

        lines[0][two] = "od_x"
        for r in 1..<lines.count { lines[r][one] = "" }
        try write()
        let run = try Fixtures.runFlowcast(["backtest", "--topology", "captures/abilene/topology.yaml", "--series", path, "--from", "60"])
        #expect(run.status == 0, "\(run.stderr)")
        #expect(run.stderr.contains("warning: 1 demands have no series and carry no traffic: od_0_2"), "\(run.stderr)")
        #expect(run.stderr.contains("warning: 1 demands' columns hold no value and carry no traffic: od_0_1"), "\(run.stderr)")
        #expect(run.stderr.contains("warning: \(path): read 1 file, 79 rows: 79 missing values"), "\(run.stderr)")
    }
}
