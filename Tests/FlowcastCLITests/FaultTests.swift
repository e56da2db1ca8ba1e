import FlowcastTestSupport
import Foundation
import Testing
#if canImport(Glibc)
import Glibc
#endif

/// SIGKILL in the middle of a run: whatever is under a final name is complete, and a run
/// started again into the same folder works and says what it found there.
@Suite("Killed runs", .serialized)
struct KillTests {
    static let topology = "captures/demo/topology.yaml"

    /// Every file under its final name (not `.partial`) is complete JSON or JSON lines.
    static func requireNothingHalfWritten(_ out: String) throws -> [String] {
        let files = try FileManager.default.subpathsOfDirectory(atPath: out).sorted()
        for name in files where !name.hasSuffix(".partial") {
            var isFolder: ObjCBool = false
            guard FileManager.default.fileExists(atPath: out + "/" + name, isDirectory: &isFolder), !isFolder.boolValue else { continue }
            let data = try Data(contentsOf: URL(fileURLWithPath: out + "/" + name))
            if name.hasSuffix(".jsonl") {
                #expect(data.isEmpty || data.last == 10, "\(name) does not end with a whole line")
                for line in data.split(separator: 10) {
                    #expect((try? JSONSerialization.jsonObject(with: Data(line))) != nil, "\(name): a line that is not JSON")
                }
            } else if name.hasSuffix(".json") {
                #expect((try? JSONSerialization.jsonObject(with: data)) != nil, "\(name) is not complete JSON")
            }
        }
        return files
    }

    /// Starts `flowcast ARGS` with its output to a file; the caller kills it.
    static func start(_ arguments: [String], log: String) throws -> ChildProcess {
        try ChildProcess(flowcast: arguments, stdout: .file(log), stderr: .standardOutput)
    }

    static func waitFor(_ seconds: Double, _ condition: () -> Bool) -> Bool {
        let deadline = Date().addingTimeInterval(seconds)
        while Date() < deadline {
            if condition() { return true }
            usleep(5_000)
        }
        return condition()
    }

    static func temporaryDirectory() -> String {
        Scratch.root.appendingPathComponent("flowcast-kill-\(UUID().uuidString)").path
    }

    @Test("SIGKILL during replay: nothing half-written under a final name; the rerun says what it found and writes what a clean run writes")
    func killedReplay() throws {
        let work = Self.temporaryDirectory()
        try FileManager.default.createDirectory(atPath: work, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: work) }
        // Five minutes of the demo scenario at five times its rate: a few seconds of replay.
        let capture = work + "/big.pcapng"
        let synth = try Fixtures.runFlowcast(["synth", "--out", capture, "--duration", "300", "--rate", "350"])
        #expect(synth.status == 0, "\(synth.stderr)")
        let arguments = ["replay", capture, "--topology", Self.topology, "--plan-every", "30s", "--threads", "1"]

        let out = work + "/out"
        let process = try Self.start(arguments + ["--out", out], log: work + "/killed.log")
        // Killed once the run has committed some policies and is writing its windows.
        let midRun = Self.waitFor(120) { FileManager.default.fileExists(atPath: out + "/policies/policy-0002.json") }
        kill(process.processIdentifier, SIGKILL)
        try process.wait(timeout: 120)
        #expect(midRun, "the run never reached its second policy")
        #expect(process.termination == .signal(SIGKILL),
                "the run ended before it was killed: \(String(describing: process.termination))")
        let left = try Self.requireNothingHalfWritten(out)
        #expect(!left.contains("summary.json") && !left.contains("windows.jsonl"), "\(left)")
        #expect(left.contains("windows.jsonl.partial"), "\(left)")
        let policiesLeft = left.filter { $0.hasPrefix("policies/policy-") && $0.hasSuffix(".json") }.count

        let again = try Fixtures.runFlowcast(arguments + ["--out", out])
        #expect(again.status == 0, "\(again.stderr)")
        #expect(again.stderr.contains("\(out) held an interrupted run (no summary.json); moved its"), "\(again.stderr)")
        #expect(again.stderr.contains("to \(out)/earlier-1, removed once this run has finished"), "\(again.stderr)")
        #expect(again.stderr.contains("\(policiesLeft) polic"), "\(again.stderr)")
        let summary = try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: out + "/summary.json"))) as! [String: Any]
        let previous = try #require(summary["previousRun"] as? [String: Any])
        #expect(previous["state"] as? String == "interrupted")
        #expect(previous["policies"] as? Int == policiesLeft)

        let clean = work + "/clean"
        let reference = try Fixtures.runFlowcast(arguments + ["--out", clean])
        #expect(reference.status == 0, "\(reference.stderr)")
        let files = try FileManager.default.subpathsOfDirectory(atPath: out).sorted()
        #expect(files == (try FileManager.default.subpathsOfDirectory(atPath: clean).sorted()))
        for name in ["windows.jsonl", "flows.jsonl", "policies/forecasts.jsonl"] {
            #expect(try Data(contentsOf: URL(fileURLWithPath: out + "/" + name)) == Data(contentsOf: URL(fileURLWithPath: clean + "/" + name)), "\(name)")
        }

        // A rerun into the finished run's folder, killed mid-run (Ctrl-C, a reboot): the finished
        // run waits whole in earlier-1 (until 7 December 2026 it was removed as the rerun began).
        let before = try FileManager.default.subpathsOfDirectory(atPath: clean).filter { !$0.hasSuffix(".flowcast.lock") && $0 != "policies" }.sorted()
        let rerun = try Self.start(arguments + ["--out", clean], log: work + "/rerun.log")
        // Its own second policy: written after the earlier run's files moved (the planner's
        // forecasts file opens once they have).
        let rerunMidRun = Self.waitFor(120) {
            FileManager.default.fileExists(atPath: clean + "/policies/forecasts.jsonl.partial")
                && FileManager.default.fileExists(atPath: clean + "/policies/policy-0002.json")
        }
        kill(rerun.processIdentifier, SIGKILL)
        try rerun.wait(timeout: 120)
        #expect(rerunMidRun && rerun.termination == .signal(SIGKILL), "\(String(describing: rerun.termination))")
        let kept = try FileManager.default.subpathsOfDirectory(atPath: clean + "/earlier-1").filter { $0 != "policies" }.sorted()
        #expect(kept == before)
        for name in ["windows.jsonl", "flows.jsonl", "policies/forecasts.jsonl"] {
            #expect(try Data(contentsOf: URL(fileURLWithPath: clean + "/earlier-1/" + name)) == Data(contentsOf: URL(fileURLWithPath: out + "/" + name)), "\(name)")
        }
        // The next rerun finishes: the killed one's files (moved to earlier-2) go, earlier-1 stays,
        // and is said, so such folders do not pile up unseen.
        let third = try Fixtures.runFlowcast(arguments + ["--out", clean])
        #expect(third.status == 0, "\(third.stderr)")
        #expect(!FileManager.default.fileExists(atPath: clean + "/earlier-2"))
        #expect(FileManager.default.fileExists(atPath: clean + "/earlier-1/windows.jsonl"))
        #expect(third.stderr.contains("note: \(clean)/earlier-1 still holds files of an earlier run, kept when a run did not finish; remove it when no longer needed"),
                "\(third.stderr)")
    }

    @Test("a replay into a folder of a longer finished run leaves none of its policies behind, and nothing else is touched")
    func rerunWithFewerPolicies() throws {
        let out = Self.temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: out) }
        let demo = "captures/demo/demo.pcapng"
        let first = try Fixtures.runFlowcast(["replay", demo, "--topology", Self.topology, "--out", out, "--plan-every", "30s"])
        #expect(first.status == 0, "\(first.stderr)")
        // The user's own files, and a publish spool, stay whatever happens.
        try Data("notes".utf8).write(to: URL(fileURLWithPath: out + "/notes.txt"))
        try FileManager.default.createDirectory(atPath: out + "/spool", withIntermediateDirectories: true)
        try Data("{}\n".utf8).write(to: URL(fileURLWithPath: out + "/spool/windows.jsonl"))
        let second = try Fixtures.runFlowcast(["replay", demo, "--topology", Self.topology, "--out", out, "--plan-every", "60s"])
        #expect(second.status == 0, "\(second.stderr)")
        #expect(second.stderr.contains("held a finished run; moved its 4 output files and 20 policies to \(out)/earlier-1, removed once this run has finished"),
                "\(second.stderr)")
        #expect(!FileManager.default.fileExists(atPath: out + "/earlier-1"), "a run that finished leaves the earlier one's files behind")
        let policies = try FileManager.default.contentsOfDirectory(atPath: out + "/policies").filter { $0.hasPrefix("policy-") }
        #expect(policies.count == 10)
        #expect(FileManager.default.fileExists(atPath: out + "/notes.txt"))
        #expect(FileManager.default.fileExists(atPath: out + "/spool/windows.jsonl"))
        // The report reads the run it sits beside: ten policies, not twenty.
        let report = try Fixtures.runFlowcast(["report", out, "--out", out + "/report.html"])
        #expect(report.status == 0, "\(report.stderr)")
        #expect((report.stdout + report.stderr).contains(" 10 policies"), "\(report.stdout)\(report.stderr)")
        // A capture that does not open costs the folder nothing.
        let missing = try Fixtures.runFlowcast(["replay", "no-such.pcap", "--topology", Self.topology, "--out", out])
        #expect(missing.status == 2)
        #expect(FileManager.default.fileExists(atPath: out + "/summary.json"))
    }

    /// Until 7 December 2026 a replay removed the earlier run's files before it began, so a rerun
    /// that failed (or was stopped with Ctrl-C) cost the folder its last finished run.
    @Test("a rerun that fails before it writes anything puts the earlier run back as it was")
    func failedRerunKeepsTheEarlierRun() throws {
        let out = Self.temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: out) }
        let demo = "captures/demo/demo.pcapng"
        let first = try Fixtures.runFlowcast(["replay", demo, "--topology", Self.topology, "--out", out, "--plan-every", "60s"])
        #expect(first.status == 0, "\(first.stderr)")
        func snapshot(_ folder: String) throws -> [String: Data] {
            var files: [String: Data] = [:]
            for path in try FileManager.default.subpathsOfDirectory(atPath: folder) {
                var folderFlag: ObjCBool = false
                if FileManager.default.fileExists(atPath: folder + "/" + path, isDirectory: &folderFlag), !folderFlag.boolValue,
                   path != ".flowcast.lock" {
                    files[path] = try Data(contentsOf: URL(fileURLWithPath: folder + "/" + path))
                }
            }
            return files
        }
        let finished = try snapshot(out)
        #expect(finished.keys.contains("summary.json") && finished.keys.contains("policies/policy-0010.json"))
        // A model file that is not one: the run fails before it writes anything, and the folder is as it was.
        let bad = out + "-model.json"
        defer { try? FileManager.default.removeItem(atPath: bad) }
        try Data("{\"x\": 1}".utf8).write(to: URL(fileURLWithPath: bad))
        let failed = try Fixtures.runFlowcast(["replay", demo, "--topology", Self.topology, "--out", out, "--plan-every", "60s", "--model", bad])
        #expect(failed.status == 2)
        #expect(failed.stderr.contains("the earlier run's files were put back (this run wrote nothing)"), "\(failed.stderr)")
        #expect(try snapshot(out) == finished)
        #expect(!FileManager.default.fileExists(atPath: out + "/earlier-1"))
        // (A run stopped after writing keeps the earlier run in earlier-N: `killedReplay`.)
    }

    /// An audit's `--out o --policies ../pol`: the second run moved the first's policies to
    /// `o/earlier-1/../pol`, outside the folder that is removed, and the third failed on them.
    @Test("reruns with --policies outside --out (relative, with ..): every run succeeds and nothing is left behind")
    func rerunsWithPoliciesOutsideOut() throws {
        let work = Self.temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: work) }
        try FileManager.default.createDirectory(atPath: work + "/w", withIntermediateDirectories: true)
        let demo = Fixtures.repositoryRoot.appendingPathComponent("captures/demo/demo.pcapng").path
        let topology = Fixtures.repositoryRoot.appendingPathComponent(Self.topology).path
        for run in 1...3 {
            let child = try ChildProcess(Fixtures.flowcastExecutable.path,
                                         ["replay", demo, "--topology", topology, "--plan-every", "60s", "--out", "o", "--policies", "../pol"],
                                         currentDirectory: work + "/w", stdout: .capture, stderr: .standardOutput)
            _ = try child.wait(timeout: 300)
            #expect(child.terminationStatus == 0, "run \(run): \(child.stdout)")
        }
        #expect(try FileManager.default.contentsOfDirectory(atPath: work + "/w/o").sorted() == [".flowcast.lock", "flows.jsonl", "summary.json", "windows.jsonl"])
        #expect(try FileManager.default.contentsOfDirectory(atPath: work + "/pol").filter { $0.hasPrefix("policy-") }.count == 10)
        #expect(!FileManager.default.fileExists(atPath: work + "/w/pol"))
    }

    @Test("SIGKILL during train, at any moment: a model file is either absent or whole")
    func killedTrain() throws {
        let work = Self.temporaryDirectory()
        try FileManager.default.createDirectory(atPath: work, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: work) }
        let run = try Fixtures.runFlowcast(["replay", "captures/demo/demo.pcapng", "--topology", Self.topology, "--out", work + "/run", "--quiet"])
        #expect(run.status == 0, "\(run.stderr)")
        var killedMidRun = 0
        for delay in [50_000, 200_000, 500_000, 1_000_000] as [UInt32] {
            let model = work + "/model-\(delay).json"
            let process = try Self.start(["train", "--series", work + "/run/windows.jsonl", "--out", model], log: work + "/train.log")
            usleep(delay)
            kill(process.processIdentifier, SIGKILL)
            try process.wait(timeout: 120)
            if process.wasKilledBySignal { killedMidRun += 1 }
            if FileManager.default.fileExists(atPath: model) {
                let check = try Fixtures.runFlowcast(["evaluate", "--series", work + "/run/windows.jsonl", "--model", model, "--from", "40", "--json"])
                #expect(check.status == 0, "a model under its final name does not load: \(check.stderr)")
            }
        }
        #expect(killedMidRun > 0, "train always finished before the kill; the test proves nothing")
    }

    @Test("SIGKILL during plan, at any moment: the policy file is either absent or whole")
    func killedPlan() throws {
        let work = Self.temporaryDirectory()
        try FileManager.default.createDirectory(atPath: work, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: work) }
        var killedMidRun = 0
        for delay in [2_000, 10_000, 25_000, 40_000, 60_000, 80_000, 100_000] as [UInt32] {
            let policy = work + "/policy-\(delay).json"
            let process = try Self.start(["plan", "--topology", Self.topology, "--forecasts", "policies/examples/demo-forecasts.json",
                                          "--out", policy], log: work + "/plan.log")
            usleep(delay)
            kill(process.processIdentifier, SIGKILL)
            try process.wait(timeout: 120)
            if process.wasKilledBySignal { killedMidRun += 1 }
            if FileManager.default.fileExists(atPath: policy) {
                let check = try Fixtures.runFlowcast(["diff", policy, policy])
                #expect(check.status == 0, "a policy under its final name does not read: \(check.stderr)")
            }
        }
        #expect(killedMidRun > 0, "plan always finished before the kill; the test proves nothing")
    }

    @Test("SIGKILL during live: nothing half-written under a final name; a restart keeps the earlier run's files in earlier-1/ and says so",
          .enabled(if: LiveTests.canReplay, "needs root, ip and tcpreplay"))
    func killedLive() throws {
        let pair = try LiveTests.VethPair()
        defer { pair.cleanUp() }
        let out = Self.temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: out); try? FileManager.default.removeItem(atPath: out + ".log") }
        let live = try LiveTests.LiveProcess(interface: pair.capture, out: out, extra: ["--window", "200ms", "--plan-every", "400ms"])
        live.expectMetricsUp()
        LiveTests.feedDemo(pair)
        #expect(live.waitFor(20) {
            (live.metric("flowcast_windows_total") ?? 0) >= 3 && FileManager.default.fileExists(atPath: out + "/policies/policy-0001.json")
        }, "\(live.stderr)")
        kill(live.process.processIdentifier, SIGKILL)
        live.waitForExit()
        #expect(live.process.wasKilledBySignal)
        let left = try Self.requireNothingHalfWritten(out)
        #expect(!left.contains("summary.json") && left.contains("windows.jsonl.partial"), "\(left)")
        let windowBytes = try Data(contentsOf: URL(fileURLWithPath: out + "/windows.jsonl.partial"))

        let again = try LiveTests.LiveProcess(interface: pair.capture, out: out)
        again.expectMetricsUp()
        #expect(again.terminate() == 0, "\(again.stderr)")
        #expect(again.stderr.contains("earlier run found"), "\(again.stderr)")
        #expect(again.stderr.contains("held an interrupted run (no summary.json); moved its"), "\(again.stderr)")
        // The killed run's files, byte for byte, in earlier-1/; this run's complete beside them.
        #expect(try Data(contentsOf: URL(fileURLWithPath: out + "/earlier-1/windows.jsonl.partial")) == windowBytes)
        for name in left where name.hasPrefix("policies/policy-") {
            #expect(FileManager.default.fileExists(atPath: out + "/earlier-1/" + name), "\(name) was not kept")
        }
        _ = try Self.requireNothingHalfWritten(out)
        #expect(FileManager.default.fileExists(atPath: out + "/summary.json"))
        let now = try FileManager.default.contentsOfDirectory(atPath: out)
        #expect(!now.contains { $0.hasSuffix(".partial") }, "\(now)")
    }
}

/// A full disk, made with a small tmpfs: the error names the file, the exit status is not 0, and
/// nothing incomplete is left under a final name.
@Suite("Full disks", .serialized, .enabled(if: getuid() == 0, "mounting a tmpfs needs root"))
struct FullDiskTests {
    /// Mounts a tmpfs of `kilobytes` for the duration of `body`.
    static func withTmpfs(kilobytes: Int, _ body: (String) throws -> Void) throws {
        let mountPoint = Scratch.root.appendingPathComponent("flowcast-full-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: mountPoint, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: mountPoint) }
        try LiveTests.run("mount", ["-t", "tmpfs", "-o", "size=\(kilobytes)k", "tmpfs", mountPoint])
        defer { _ = try? LiveTests.run("umount", [mountPoint]) }
        try body(mountPoint)
    }

    @Test("replay onto a full disk: the file and the reason, exit status 2, no half-written file")
    func replay() throws {
        try Self.withTmpfs(kilobytes: 300) { disk in
            let out = disk + "/out"
            let run = try Fixtures.runFlowcast(["replay", "captures/demo/demo.pcapng", "--topology", KillTests.topology,
                                                "--out", out, "--plan-every", "60s"])
            #expect(run.status == 2)
            #expect(run.stderr.contains("flowcast replay: \(out)/") && run.stderr.contains(": No space left on device"), "\(run.stderr)")
            let left = try KillTests.requireNothingHalfWritten(out)
            #expect(!left.contains { $0.hasSuffix(".partial") }, "\(left)")
            #expect(!left.contains("summary.json"))
            // A report of what it left says the run did not finish (it said only "not found").
            let report = try Fixtures.runFlowcast(["report", out, "--out", KillTests.temporaryDirectory() + "-report.html"])
            if left.contains("windows.jsonl") {
                #expect(report.stderr.contains("flowcast report: warning: no summary.json: a run that stopped before its end "
                    + "(killed, or an error such as a full disk)"), "\(report.stderr)")
            }
        }
    }

    @Test("train onto a full disk: the model's path and the reason, no model file")
    func train() throws {
        let work = KillTests.temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: work) }
        let run = try Fixtures.runFlowcast(["replay", "captures/demo/demo.pcapng", "--topology", KillTests.topology,
                                            "--out", work, "--quiet"])
        #expect(run.status == 0, "\(run.stderr)")
        try Self.withTmpfs(kilobytes: 64) { disk in
            // Fill the disk but for a few bytes.
            let filler = FileHandle(forWritingAtPath: disk + "/filler") ?? {
                _ = FileManager.default.createFile(atPath: disk + "/filler", contents: nil)
                return FileHandle(forWritingAtPath: disk + "/filler")!
            }()
            while (try? filler.write(contentsOf: Data(count: 4096))) != nil {}
            try? filler.close()
            let model = disk + "/model.json"
            let train = try Fixtures.runFlowcast(["train", "--series", work + "/windows.jsonl", "--out", model])
            #expect(train.status != 0)
            #expect(train.stderr.contains(model) && train.stderr.contains("No space left on device"), "\(train.stderr)")
            #expect(!FileManager.default.fileExists(atPath: model))
            #expect(!FileManager.default.fileExists(atPath: model + ".partial"))
        }
    }

    @Test("live onto a full disk stops with the file and the reason, exit status 2, as docs/live.md says",
          .enabled(if: LiveTests.canReplay, "needs ip and tcpreplay"))
    func live() throws {
        try Self.withTmpfs(kilobytes: 48) { disk in
            let pair = try LiveTests.VethPair()
            defer { pair.cleanUp() }
            let out = disk + "/out"
            let log = KillTests.temporaryDirectory() + "-live.log"
            defer { try? FileManager.default.removeItem(atPath: log) }
            let live = try LiveTests.LiveProcess(interface: pair.capture, out: out, extra: ["--window", "200ms", "--plan-every", "400ms"],
                                                 logPath: log)
            live.expectMetricsUp()
            LiveTests.feedDemo(pair)
            let deadline = Date().addingTimeInterval(30)
            while live.process.isRunning && Date() < deadline { usleep(50_000) }
            #expect(!live.process.isRunning, "live kept running on a full disk: \(live.stderr) \((try? FileManager.default.subpathsOfDirectory(atPath: out)) ?? [])")
            if live.process.isRunning { kill(live.process.processIdentifier, SIGKILL) }
            live.waitForExit()
            #expect(live.process.terminationStatus == 2, "\(live.stderr)")
            #expect(live.stderr.contains(out + "/") && live.stderr.contains("No space left on device"), "\(live.stderr)")
            // The forecasts are a record too: left whole or as .partial, never deleted.
            let forecasts = out + "/policies/forecasts.jsonl"
            #expect(FileManager.default.fileExists(atPath: forecasts) || FileManager.default.fileExists(atPath: forecasts + ".partial"),
                    "\((try? FileManager.default.subpathsOfDirectory(atPath: out)) ?? [])")
            _ = try KillTests.requireNothingHalfWritten(out)
        }
    }
}

/// Signals and privileges of `flowcast live` that used to be checked by hand only.
@Suite("Live faults", .serialized)
struct LiveFaultTests {
    /// A copy of the demo topology in `folder` (made), for a test to rewrite under a running
    /// live: its path and its original text.
    static func editableTopology(in folder: String) throws -> (path: String, original: String) {
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        let original = try String(contentsOfFile: Fixtures.repositoryRoot.appendingPathComponent(KillTests.topology).path, encoding: .utf8)
        try original.write(toFile: folder + "/topology.yaml", atomically: true, encoding: .utf8)
        return (folder + "/topology.yaml", original)
    }

    @Test("a second SIGTERM while the first is being handled exits at once with status 143",
          .enabled(if: LiveTests.canReplay, "needs root, ip and tcpreplay"))
    func secondSignal() throws {
        let pair = try LiveTests.VethPair()
        defer { pair.cleanUp() }
        let out = KillTests.temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: out); try? FileManager.default.removeItem(atPath: out + ".log") }
        let live = try LiveTests.LiveProcess(interface: pair.capture, out: out, extra: ["--window", "200ms", "--plan-every", "400ms"])
        live.expectMetricsUp()
        LiveTests.feedDemo(pair)
        #expect(live.waitFor(20) { (live.metric("flowcast_windows_total") ?? 0) >= 2 }, "\(live.stderr)")
        // Two signals sent back to back are one to the kernel (a pending signal is not queued
        // twice): the second goes once the first is being handled, while the run writes its end.
        kill(live.process.processIdentifier, SIGTERM)
        let deadline = Date().addingTimeInterval(10)
        while !live.stderr.contains("stopping: writing") && live.process.isRunning && Date() < deadline { usleep(500) }
        guard live.process.isRunning else {
            // The whole orderly stop fitted between two polls: this run cannot tell.
            live.waitForExit()
            withKnownIssue("the first SIGTERM's stop ended before the second could be sent") { Issue.record("raced") }
            return
        }
        kill(live.process.processIdentifier, SIGTERM)
        live.waitForExit()
        guard live.stderr.contains("second signal") || live.process.termination != .exit(0) else {
            // The orderly stop ended between the check above and the second signal.
            withKnownIssue("the first SIGTERM's stop ended before the second arrived") { Issue.record("raced") }
            return
        }
        #expect(live.process.termination == .exit(128 + SIGTERM), "\(live.stderr)")
        #expect(live.stderr.contains("second signal: exiting now"), "\(live.stderr)")
        // Exiting at once leaves the run interrupted: half-written files keep their .partial names.
        _ = try KillTests.requireNothingHalfWritten(out)
        #expect(!FileManager.default.fileExists(atPath: out + "/summary.json"))
    }

    @Test("SIGHUP with an invalid topology: the reason with file and line is logged, and the running topology stays in force",
          .enabled(if: LiveTests.canReplay, "needs root, ip and tcpreplay"))
    func invalidReload() throws {
        let pair = try LiveTests.VethPair()
        defer { pair.cleanUp() }
        let out = KillTests.temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: out); try? FileManager.default.removeItem(atPath: out + ".log") }
        let (topology, original) = try Self.editableTopology(in: out)
        let live = try LiveTests.LiveProcess(interface: pair.capture, out: out + "/run", topology: topology,
                                             extra: ["--window", "200ms", "--idle-timeout", "0", "--active-timeout", "0"])
        live.expectMetricsUp()
        // A link that names a node the topology does not have: valid YAML, invalid topology.
        let broken = original.replacingOccurrences(of: "{ id: l-s1-s2, a: site-1, b: site-2,", with: "{ id: l-s1-s2, a: site-1, b: nowhere,")
        #expect(broken != original)
        try broken.write(toFile: topology, atomically: true, encoding: .utf8)
        kill(live.process.processIdentifier, SIGHUP)
        #expect(live.waitFor(10) { live.stderr.contains("topology reload refused; keeping the current one") }, "\(live.stderr)")
        #expect(live.stderr.contains(topology), "\(live.stderr)")
        // Traffic after the refused reload is still attributed to the original cells.
        LiveTests.feedDemo(pair)
        #expect(live.waitFor(30) { (live.metric("flowcast_packets_total") ?? 0) >= 42_789 }, "\(live.stderr)")
        #expect(live.metric("flowcast_topology_reloads_total") == 0)
        #expect(live.terminate() == 0, "\(live.stderr)")
        let summary = try LiveTests.json(out + "/run/summary.json")
        #expect(summary["topologyReloads"] as? Int == 0)
        let cells = summary["cells"] as! [String: Any]
        #expect((cells["matchedPackets"] as? Int ?? 0) > 40_000, "\(cells)")
        #expect(!FileManager.default.fileExists(atPath: out + "/run/policies/reload-1"))
    }

    /// A topology with nothing in it is valid, and taken, but every packet after it is
    /// unmatched: the reload says so (an audit reloaded `bands: []` without a word).
    @Test("SIGHUP with a topology that places nothing: taken, with a warning that all traffic is unmatched",
          .enabled(if: LiveTests.canReplay, "needs root, ip and tcpreplay"))
    func emptyReloadIsWarnedOf() throws {
        let pair = try LiveTests.VethPair()
        defer { pair.cleanUp() }
        let out = KillTests.temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: out); try? FileManager.default.removeItem(atPath: out + ".log") }
        let (topology, _) = try Self.editableTopology(in: out)
        let live = try LiveTests.LiveProcess(interface: pair.capture, out: out + "/run", topology: topology, extra: ["--window", "1s"])
        live.expectMetricsUp()
        try "bands: []\n".write(toFile: topology, atomically: true, encoding: .utf8)
        kill(live.process.processIdentifier, SIGHUP)
        #expect(live.waitFor(10) { live.stderr.contains("all traffic is unmatched from now on") }, "\(live.stderr)")
        #expect(live.stderr.contains("topology validated; reloading"), "\(live.stderr)")
        #expect(live.terminate() == 0, "\(live.stderr)")
    }

    @Test("live without the privilege to capture: one line naming the interface and what to grant, exit status 2",
          .enabled(if: getuid() == 0 && LiveTests.tool("runuser") != nil, "needs root to become nobody"))
    func withoutPrivilege() throws {
        let process = try ChildProcess(LiveTests.tool("runuser")!, ["-u", "nobody", "--", Fixtures.flowcastExecutable.path, "live", "-i", "lo",
                                                                    "--topology", KillTests.topology, "--out", "/nonexistent/flowcast-out"],
                                       currentDirectory: Fixtures.repositoryRoot.path, stdout: .null)
        try process.wait(timeout: 120)
        let text = process.stderr
        guard !text.contains("Permission denied") || text.contains("lo: permission denied") else {
            // The executable itself is out of nobody's reach (a private checkout): nothing to test.
            withKnownIssue("nobody cannot run \(Fixtures.flowcastExecutable.path): \(text)") { Issue.record("skipped") }
            return
        }
        #expect(process.terminationStatus == 2, "\(text)")
        #expect(text.contains("lo: permission denied: run as root or grant the program CAP_NET_RAW and CAP_NET_ADMIN"), "\(text)")
        #expect(text.split(separator: "\n").count == 1, "\(text)")
    }
}

extension LiveFaultTests {
    @Test("--rotate hour: at the turn of the hour (a test clock set a moment before it) every file closes whole and the next segment starts",
          .enabled(if: LiveTests.canReplay, "needs root, ip and tcpreplay"))
    func hourlyRotation() throws {
        let pair = try LiveTests.VethPair()
        defer { pair.cleanUp() }
        let out = KillTests.temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: out); try? FileManager.default.removeItem(atPath: out + ".log") }
        // The hour ends eight seconds after the run starts, by the run's rotation clock: a loaded
        // machine may take seconds to start the run, and the feed (about 8.6 s at 5,000 packets a
        // second) is still under way when the hour turns.
        let now = Date().timeIntervalSince1970
        let offset = 3600 - now.truncatingRemainder(dividingBy: 3600) - 8
        let live = try LiveTests.LiveProcess(interface: pair.capture, out: out,
                                             extra: ["--window", "200ms", "--rotate", "hour", "--rotation-clock-offset", "\(offset)"])
        live.expectMetricsUp()
        LiveTests.feedDemo(pair, pps: 5_000)
        #expect(live.waitFor(30) { live.stderr.contains("output rotated") }, "no rotation: \(live.stderr)")
        #expect(live.waitFor(60) { (live.metric("flowcast_packets_total") ?? 0) >= 42_789 }, "\(live.stderr)")
        #expect(live.terminate() == 0, "\(live.stderr)")
        let files = try FileManager.default.contentsOfDirectory(atPath: out).sorted()
        for base in ["windows", "flows", "stats"] {
            #expect(files.contains("\(base)-0000.jsonl") && files.contains("\(base)-0001.jsonl"), "\(files)")
        }
        #expect(!files.contains { $0.hasSuffix(".partial") }, "\(files)")
        _ = try KillTests.requireNothingHalfWritten(out)
        // Both segments together hold every window: their packets add up to the run's total.
        var packets = 0
        for name in files where name.hasPrefix("windows-") {
            for line in try LiveTests.jsonLines(out + "/" + name) where line["kind"] as? String == "cell" {
                packets += (line["packetsUp"] as? Int ?? 0) + (line["packetsDown"] as? Int ?? 0)
            }
        }
        let summary = try LiveTests.json(out + "/summary.json")
        #expect(summary["segments"] as? Int == 2)
        // The statistics are in both segments, and summary.json says so.
        #expect((summary["windows"] as? [String: Any])?["statisticsPerWindow"] as? String == "stats-0000.jsonl to stats-0001.jsonl", "\(summary)")
        let cells = summary["cells"] as! [String: Any]
        #expect(packets == cells["matchedPackets"] as? Int, "window packets \(packets), summary \(cells)")
    }
}

extension LiveFaultTests {
    /// Starts live on lo with an interval model that is a FIFO, so the run blocks reading it at a
    /// known point of its start; sends `signal` there, checks the run is still alive 0.3 s later,
    /// then hands over the model and lets the run go on.
    static func signalWhileStarting(_ signal: Int32, _ name: String, folder: String) throws -> LiveTests.LiveProcess {
        let models = try DemoIntervalModels(in: URL(fileURLWithPath: folder), horizon: "400ms", window: "200ms", efficiency: false)
        let fifo = folder + "/model.json"
        try #require(mkfifo(fifo, 0o600) == 0)
        let live = try LiveTests.LiveProcess(interface: "lo", out: folder + "/run",
                                             extra: ["--window", "200ms", "--plan-every", "400ms", "--capture-threads", "1", "--model", fifo])
        var writer: Int32 = -1
        #expect(KillTests.waitFor(30) { writer = open(fifo, O_WRONLY | O_NONBLOCK); return writer >= 0 }, "the run never opened its model")
        try #require(writer >= 0)
        live.process.signal(signal)
        usleep(300_000)
        #expect(live.process.isRunning, "\(name) ended the starting run at once: \(live.stderr)")
        // The run reads the model twice (checked first, then loaded): the FIFO serves the first
        // read, a plain file under the same name the second.
        let model = try Data(contentsOf: URL(fileURLWithPath: models.demand))
        try FileManager.default.removeItem(atPath: fifo)
        try model.write(to: URL(fileURLWithPath: fifo))
        _ = model.withUnsafeBytes { write(writer, $0.baseAddress, $0.count) }
        close(writer)
        return live
    }

    @Test("SIGHUP while the run is still starting (reading its model) does not end it: the reload applies after the first batch",
          .enabled(if: LiveTests.isRoot, "needs root"))
    func reloadWhileStarting() throws {
        let folder = KillTests.temporaryDirectory()
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: folder) }
        let live = try Self.signalWhileStarting(SIGHUP, "SIGHUP", folder: folder)
        guard live.process.isRunning else { return }
        live.expectMetricsUp()
        #expect(live.waitFor(30) { _ = live.metric("flowcast_packets_total"); return live.stderr.contains("topology reloaded") }, "\(live.stderr)")
        // Scrapes are traffic on lo: windows close, and the reloaded topology's planner writes.
        #expect(live.waitFor(30) {
            _ = live.metric("flowcast_packets_total")
            return FileManager.default.fileExists(atPath: folder + "/run/policies/reload-1/policy-0001.json")
        }, "\(live.stderr)")
        #expect(live.terminate() == 0, "\(live.stderr)")
        #expect(try LiveTests.json(folder + "/run/summary.json")["topologyReloads"] as? Int == 1)
        try Self.expectEveryPolicyLogged(folder + "/run", live.stderr)
    }

    /// SIGTERM was taken only once the interfaces were open, after the metrics socket was bound: a
    /// SIGTERM sent as the metrics first answered was lost once and the tap ran on. It is taken
    /// first thing now; one that comes while the run is still starting ends it as soon as it has
    /// opened its interface, with its end written.
    @Test("SIGTERM while the run is still starting (reading its model) stops it once started: exit 0, summary written",
          .enabled(if: LiveTests.isRoot, "needs root"))
    func stopWhileStarting() throws {
        let folder = KillTests.temporaryDirectory()
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: folder) }
        let live = try Self.signalWhileStarting(SIGTERM, "SIGTERM", folder: folder)
        // No second signal: the first one, taken while starting, ends the run.
        live.waitForExit()
        #expect(live.process.terminationStatus == 0, "\(live.stderr)")
        #expect(live.stderr.contains("stopping: writing the open window"), "\(live.stderr)")
        #expect(FileManager.default.fileExists(atPath: folder + "/run/summary.json"), "\(live.stderr)")
    }
}

extension LiveFaultTests {
    @Test("a quiet interface still closes its windows by the wall clock (the blocked read is woken once a second)",
          .enabled(if: LiveTests.canReplay, "needs root, ip and tcpreplay"))
    func quietInterfaceClosesWindows() throws {
        let pair = try LiveTests.VethPair()
        defer { pair.cleanUp() }
        let out = KillTests.temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: out); try? FileManager.default.removeItem(atPath: out + ".log") }
        let live = try LiveTests.LiveProcess(interface: pair.capture, out: out, extra: ["--window", "500ms"])
        live.expectMetricsUp()
        try pair.replay(Fixtures.repositoryRoot.appendingPathComponent("captures/real/gtpu-ipv4-inner-mixed.pcap").path)
        #expect(live.waitFor(10) { (live.metric("flowcast_packets_total") ?? 0) > 0 }, "\(live.stderr)")
        // Nothing more is sent: the window the traffic fell in, and empty ones after it, close anyway.
        let before = live.metric("flowcast_windows_total") ?? 0
        #expect(live.waitFor(30) { (live.metric("flowcast_windows_total") ?? 0) >= before + 3 },
                "windows stayed at \(live.metric("flowcast_windows_total") ?? -1) on a quiet interface: \(live.stderr)")
        #expect(live.terminate() == 0, "\(live.stderr)")
    }
}

extension LiveFaultTests {
    @Test("SIGHUP with two capture threads: the new topology takes over on every thread, nothing is lost or counted twice",
          .enabled(if: LiveTests.canReplay, "needs root, ip and tcpreplay"))
    func reloadWithTwoThreads() throws {
        let pair = try LiveTests.VethPair()
        defer { pair.cleanUp() }
        let out = KillTests.temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: out); try? FileManager.default.removeItem(atPath: out + ".log") }
        let (topology, original) = try Self.editableTopology(in: out)
        let live = try LiveTests.LiveProcess(interface: pair.capture, out: out + "/run", topology: topology,
                                             extra: ["--capture-threads", "2", "--window", "200ms", "--plan-every", "400ms",
                                                     "--idle-timeout", "0", "--active-timeout", "0"])
        live.expectMetricsUp()
        // At 5,000 packets a second the feed lasts about 8.6 s, so the reload (sent once a quarter
        // of it has arrived) lands while both threads still have traffic, even on a loaded machine.
        LiveTests.feedDemo(pair, pps: 5_000)
        #expect(live.waitFor(30) { (live.metric("flowcast_packets_total") ?? 0) > 10_000 }, "\(live.stderr)")
        // A valid change: one link twice as fast.
        let changed = original.replacingOccurrences(of: "{ id: l-s1-s2, a: site-1, b: site-2, capacity: 1G,",
                                                    with: "{ id: l-s1-s2, a: site-1, b: site-2, capacity: 2G,")
        #expect(changed != original)
        try changed.write(toFile: topology, atomically: true, encoding: .utf8)
        kill(live.process.processIdentifier, SIGHUP)
        #expect(live.waitFor(10) { live.stderr.contains("topology reloaded") }, "\(live.stderr)")
        #expect(live.waitFor(60) { (live.metric("flowcast_packets_total") ?? 0) >= 42_789 }, "\(live.stderr)")
        #expect(live.metric("flowcast_topology_reloads_total") == 1)
        #expect(live.terminate() == 0, "\(live.stderr)")

        let summary = try LiveTests.json(out + "/run/summary.json")
        #expect(summary["topologyReloads"] as? Int == 1)
        let totals = summary["totals"] as! [String: Any]
        #expect(totals["packets"] as? Int == 42_789, "\(totals)")
        let libpcap = (summary["capture"] as! [String: Any])["libpcap"] as! [String: Int]
        #expect(libpcap["received"] == 42_789 && libpcap["kernelDrops"] == 0, "\(libpcap)")
        // Every packet is in exactly one window: across both topologies, the cells' window
        // packets add up to the summary's matched packets.
        let cells = summary["cells"] as! [String: Any]
        var windowPackets = 0
        var partialStarts = Set<Double>()
        var lastStart = -Double.infinity
        for line in try LiveTests.jsonLines(out + "/run/windows.jsonl") {
            if line["kind"] as? String == "cell" {
                windowPackets += (line["packetsUp"] as? Int ?? 0) + (line["packetsDown"] as? Int ?? 0)
            }
            if let start = line["start"] as? Double { lastStart = max(lastStart, start) }
            if line["partial"] as? Bool == true, let start = line["start"] as? Double { partialStarts.insert(start) }
        }
        #expect(windowPackets == cells["matchedPackets"] as? Int, "windows \(windowPackets), summary \(cells)")
        // The window each thread had open at the reload closes partial under the old topology
        // (one or two windows: both threads have traffic, and each reaches the reload at its own
        // next batch); besides those, only the last window may be partial (a stop within the
        // second before a quiet interface closes it by the wall clock).
        let reloadPartials = partialStarts.subtracting([lastStart])
        #expect((1...2).contains(reloadPartials.count), "\(partialStarts), last window \(lastStart)")
        let flows = summary["flows"] as! [String: Any]
        #expect(flows["written"] as? Int == (try LiveTests.jsonLines(out + "/run/flows.jsonl")).count)
        let reloaded = (try? FileManager.default.contentsOfDirectory(atPath: out + "/run/policies/reload-1")) ?? []
        #expect(reloaded.contains { $0.hasPrefix("policy-") }, "no policy under the new topology: \(reloaded)")
        try Self.expectEveryPolicyLogged(out + "/run", live.stderr)
    }
}

extension LiveFaultTests {
    /// Every policy the run wrote (reload folders included) was logged as written, once, and says
    /// it came from a live tap: the final policy of a planner (at a reload or the stop) went
    /// unlogged and uncounted in flowcast_policies_total, and live's policies said "flowcast replay".
    static func expectEveryPolicyLogged(_ out: String, _ stderr: String, sourceLocation: SourceLocation = #_sourceLocation) throws {
        var files: [String] = []
        let reloads = ((try? FileManager.default.contentsOfDirectory(atPath: out + "/policies")) ?? [])
            .filter { $0.hasPrefix("reload-") }.map { out + "/policies/" + $0 }
        for folder in [out + "/policies"] + reloads {
            let names = (try? FileManager.default.contentsOfDirectory(atPath: folder)) ?? []
            files += names.filter { $0.hasPrefix("policy-") && $0.hasSuffix(".json") }.map { folder + "/" + $0 }
        }
        let lines = stderr.split(separator: "\n").filter { $0.contains("policy written") }
        #expect(!files.isEmpty && lines.count == files.count, "\(files.count) policies, \(lines.count) logged", sourceLocation: sourceLocation)
        // Each by its own line, naming it (a batch that wrote two policies logged one line).
        for file in files {
            #expect(lines.filter { $0.contains("file=\(file)") }.count == 1, "\(file) not logged once: \(lines)",
                    sourceLocation: sourceLocation)
        }
        for file in files {
            let object = try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: file))) as? [String: Any]
            #expect((object?["provenance"] as? [String: Any])?["generator"] as? String == "flowcast live 0.1.0", "\(file)", sourceLocation: sourceLocation)
        }
    }
}

/// Standard output that cannot take the bytes (`/dev/full` answers every write with ENOSPC, as a
/// full disk does): the run says so and exits 2. An audit found `export --to iproute > routes.sh`
/// on a full disk ending with status 0 and a script cut at `ip route replace 1`, which bash runs.
@Suite("Standard output that fails")
struct StandardOutputFailureTests {
    static func run(_ arguments: [String], stdout: String = "/dev/full") throws -> (status: Int32, stderr: String) {
        let child = try ChildProcess(flowcast: arguments, stdout: .file(stdout))
        try child.wait(timeout: 120)
        return (child.terminationStatus, child.stderr)
    }

    @Test("export, decode, flows, inspect and diff to a full disk: exit status 2 and the reason, not 0 (1 for diff)",
          .enabled(if: FileManager.default.fileExists(atPath: "/dev/full"), "needs /dev/full"),
          arguments: [
            ["export", "policies/examples/demo-policy.json", "--to", "iproute", "--topology", "captures/demo/topology.yaml"],
            ["decode", "captures/demo/demo.pcapng"],
            ["flows", "captures/demo/demo.pcapng"],
            ["inspect", "captures/demo/demo.pcapng", "--json"],
            ["diff", "policies/baseline/demo.json", "Tests/FlowcastReviewTests/ReviewFixtures/Policies/failed-link.json"],
            // Past stdio's buffer, its failed write lost the reason ("a write failed": an audit).
            ["diff", "--format", "json", "policies/baseline/demo.json", "Tests/FlowcastReviewTests/ReviewFixtures/Policies/failed-link.json"],
          ])
    func fullDisk(arguments: [String]) throws {
        let run = try Self.run(arguments)
        #expect(run.status == 2, "\(run.stderr)")
        #expect(run.stderr.contains("flowcast \(arguments[0]): cannot write standard output: No space left on device; the output is incomplete"),
                "\(run.stderr)")
    }

    @Test("help and --version to a full disk: exit status 2 (the argument parser printed them and exited 0)",
          .enabled(if: FileManager.default.fileExists(atPath: "/dev/full"), "needs /dev/full"),
          arguments: [["--help"], ["help", "live"], ["decode", "--help"], ["--version"]])
    func helpToAFullDisk(arguments: [String]) throws {
        let run = try Self.run(arguments)
        #expect(run.status == 2, "\(run.stderr)")
        #expect(run.stderr.contains("flowcast: cannot write standard output: No space left on device; the output is incomplete"), "\(run.stderr)")
    }

    @Test("the same commands to a file that takes the bytes: status 0 (1 for a diff that found differences) and no such line")
    func healthyOutput() throws {
        let file = Scratch.root.appendingPathComponent("flowcast-stdout-\(UUID().uuidString)").path
        defer { try? FileManager.default.removeItem(atPath: file) }
        let export = try Self.run(["export", "policies/examples/demo-policy.json", "--to", "iproute", "--topology", "captures/demo/topology.yaml"],
                                  stdout: file)
        #expect(export.status == 0 && !export.stderr.contains("standard output"), "\(export.stderr)")
        let exported = try String(contentsOfFile: file, encoding: .utf8)
        #expect(exported.hasSuffix("\n") && exported.contains("ip route replace"))
        let diff = try Self.run(["diff", "policies/baseline/demo.json", "Tests/FlowcastReviewTests/ReviewFixtures/Policies/failed-link.json"],
                                stdout: file)
        #expect(diff.status == 1 && !diff.stderr.contains("standard output"), "\(diff.stderr)")
    }
}

/// One run per folder, for `replay` as for `live` (an audit: a replay into a running tap's
/// folder removed its windows and flows; two replays into one folder mixed their policies).
@Suite("Output folder locks", .serialized)
struct FolderLockTests {
    @Test("a replay into a folder another run holds is refused, naming the holder, and moves nothing")
    func replayRefusedWhileHeld() throws {
        let out = KillTests.temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: out) }
        try FileManager.default.createDirectory(atPath: out, withIntermediateDirectories: true)
        // An earlier run's files, and a holder: this process, as a running tap would hold it.
        try "{}\n".write(toFile: out + "/windows.jsonl.partial", atomically: false, encoding: .utf8)
        let fd = open(out + "/.flowcast.lock", O_RDWR | O_CREAT, 0o644)
        try #require(fd >= 0)
        defer { close(fd) }
        try #require(flock(fd, LOCK_EX | LOCK_NB) == 0)
        let holder = Array("live \(getpid())\n".utf8)
        _ = pwrite(fd, holder, holder.count, 0)
        let run = try Fixtures.runFlowcast(["replay", "captures/demo/demo.pcapng", "--topology", KillTests.topology, "--out", out])
        #expect(run.status == 2)
        #expect(run.stderr.contains("flowcast replay: \(out): in use by another flowcast live (pid \(getpid())) holding \(out)/.flowcast.lock"),
                "\(run.stderr)")
        #expect(FileManager.default.fileExists(atPath: out + "/windows.jsonl.partial"), "the refused replay removed the holder's file")
        #expect(!FileManager.default.fileExists(atPath: out + "/summary.json"))
        // Released, the folder takes a replay, which clears the interrupted run's file.
        flock(fd, LOCK_UN)
        let again = try Fixtures.runFlowcast(["replay", "captures/demo/demo.pcapng", "--topology", KillTests.topology, "--out", out])
        #expect(again.status == 0, "\(again.stderr)")
        #expect(again.stderr.contains("held an interrupted run"), "\(again.stderr)")
    }

    @Test("a replay into a running live's folder is refused and the live run finishes whole",
          .enabled(if: getuid() == 0, "needs root"))
    func replayIntoLiveFolder() throws {
        let out = LiveTests.temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: out) }
        let live = try LiveTests.LiveProcess(interface: "lo", out: out, extra: ["--window", "200ms", "--capture-threads", "1"])
        live.expectMetricsUp()
        let replay = try Fixtures.runFlowcast(["replay", "captures/demo/demo.pcapng", "--topology", KillTests.topology, "--out", out])
        #expect(replay.status == 2)
        #expect(replay.stderr.contains("in use by another flowcast live (pid \(live.process.processIdentifier))"), "\(replay.stderr)")
        #expect(live.terminate() == 0, "\(live.stderr)")
        // The summary is live's (its capture is the interface), and the folder holds live's own files.
        let summary = try LiveTests.json(out + "/summary.json")
        #expect((summary["capture"] as? [String: Any])?["interface"] as? String == "lo", "\(summary["capture"] ?? "")")
        #expect(FileManager.default.fileExists(atPath: out + "/windows.jsonl"))
        #expect(FileManager.default.fileExists(atPath: out + "/stats.jsonl"))
    }
}

/// A report of a run that did not finish says so (an audit: a replay that failed on a full disk
/// left windows, flows and ten policies, and `report` said only "not found: summary.json", status 0).
@Suite("Reports of unfinished runs")
struct UnfinishedRunReportTests {
    @Test("no summary.json, or partial files: a warning on stderr and in the page")
    func unfinishedRunIsSaid() throws {
        let out = KillTests.temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: out) }
        let run = try Fixtures.runFlowcast(["replay", "captures/demo/demo.pcapng", "--topology", KillTests.topology, "--out", out,
                                            "--plan-every", "60s", "--quiet"])
        try #require(run.status == 0, "\(run.stderr)")
        let html = out + "/report.html"
        let whole = try Fixtures.runFlowcast(["report", out, "--out", html])
        #expect(whole.status == 0 && !whole.stderr.contains("stopped before its end"), "\(whole.stderr)")
        try FileManager.default.removeItem(atPath: out + "/summary.json")
        try Data("{\"partial\n".utf8).write(to: URL(fileURLWithPath: out + "/policies/policy-0011.json.partial"))
        let cut = try Fixtures.runFlowcast(["report", out, "--out", html])
        #expect(cut.status == 0, "\(cut.stderr)")
        let line = "the run is still being written or stopped before its end (killed, or an error such as a full disk): "
            + "1 partial file (policy-0011.json.partial) and no summary.json; this report shows what it had committed"
        #expect(cut.stderr.contains("flowcast report: warning: " + line), "\(cut.stderr)")
        // At the top of the page, before the charts, where a reviewer reads first.
        let page = try String(contentsOfFile: html, encoding: .utf8)
        let top = try #require(page.range(of: "<p class=\"warning\" id=\"unfinished\">Incomplete: " + line + ".</p>"))
        #expect(top.lowerBound < (page.range(of: "At a glance")?.lowerBound ?? page.startIndex), "the warning is not above the charts")
    }
}

/// `synth` interrupted (an audit: a day's capture stopped by SIGINT left a 179 MB `OUT.partial`
/// that nothing removed): the partial file goes, and the status is 128 + the signal.
@Suite("Interrupted synth")
struct InterruptedSynthTests {
    @Test(arguments: [SIGINT, SIGTERM])
    func partialCaptureRemoved(signal: Int32) throws {
        let out = KillTests.temporaryDirectory() + ".pcapng"
        defer { try? FileManager.default.removeItem(atPath: out); try? FileManager.default.removeItem(atPath: out + ".partial") }
        let child = try ChildProcess(flowcast: ["synth", "--out", out, "--duration", "86400", "--rate", "500"])
        let deadline = Date().addingTimeInterval(60)
        while !FileManager.default.fileExists(atPath: out + ".partial") && Date() < deadline { usleep(20_000) }
        try #require(FileManager.default.fileExists(atPath: out + ".partial"), "no partial capture within 60 s")
        usleep(200_000)
        kill(child.processIdentifier, signal)
        try child.wait(timeout: 60)
        #expect(child.terminationStatus == 128 + signal, "\(child.stderr)")
        #expect(!FileManager.default.fileExists(atPath: out + ".partial"))
        #expect(!FileManager.default.fileExists(atPath: out))
    }
}
