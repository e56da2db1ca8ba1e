import FlowcastCore
import FlowcastDemo
import ArgumentParser
import FlowcastPipeline
import Foundation

struct SynthError: Error, CustomStringConvertible { var description: String }

/// The partial capture being written, for the signal handler (a C string: the handler may only
/// make async-signal-safe calls, `unlink` and `_exit`).
nonisolated(unsafe) private var synthPartialPath: UnsafeMutablePointer<CChar>?

/// SIGINT, SIGTERM and SIGHUP while a capture is written remove the partial file and exit with
/// 128 + the signal, as the default action would: an interrupted `synth` of a day left a 179 MB
/// `OUT.partial` that nothing removed (an audit).
private func removePartialCaptureOnSignal() {
    for s in [SIGINT, SIGTERM, SIGHUP] {
        let previous = signal(s) { number in
            if let path = synthPartialPath { unlink(path) }
            _exit(128 + number)
        }
        // A signal the shell set to be ignored (SIGINT of a background job) stays ignored.
        if let previous, unsafeBitCast(previous, to: Int.self) == unsafeBitCast(SIG_IGN, to: Int.self) { signal(s, SIG_IGN) }
    }
}

struct SynthCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "synth",
        abstract: "Write the demo scenario's synthetic capture (deterministic: same options, same bytes).",
        discussion: """
            Six cells of captures/demo/topology.yaml behind a sampled backhaul tap: GTPv2-C attach and \
            handover signalling, GTP-U user traffic with VLANs and 5G QFIs, a load swing and a hotspot. With --radio, \
            per-cell radio KPI logs whose CQI has the statistics of the public 5G traces. User packets are \
            drawn slot by slot (100 ms) and cell by cell, so within a slot they are not in time order, as \
            in a capture merged from several taps. A slot never spans two windows that are multiples of \
            100 ms; but the attach signalling, written first, is dated up to 0.4 s after the first slots' user \
            packets, so with windows under a second those packets, and with windows that are not multiples \
            of 100 ms others too, come after a later window opened: replay counts such a packet in the open \
            window (summary.json windows.latePackets; 24 at --window 100ms, none at 10s).
            """)

    @Option(help: "Output pcapng file.") var out: String
    @Option(parsing: .unconditional, help: "Seconds of traffic.") var duration: Int = 600
    @Option(parsing: .unconditional, help: "Base mean GTP-U (user-plane) packets captured per second; the load swing and cell-3's hotspot add about 1 % over a run (70 gives 42,594 in 600 s), and the GTPv2-C signalling (attach, handover) comes on top.") var rate: Double = 70
    @Option(parsing: .unconditional, help: "Random seed.") var seed: UInt64 = 20_261_129
    @Option(help: "Also write one radio KPI log per cell (radio-cell-K.csv: Timestamp, CQI, and DL_bitrate left as \"-\") into this folder, over the same seconds.")
    var radio: String?

    func validate() throws {
        guard duration > 0, duration <= 86_400 else { throw ValidationError("--duration must be 1 to 86400 seconds") }
        guard rate > 0, rate <= 1_000_000 else { throw ValidationError("--rate must be positive (at most 1e6)") }
        // About 131.5 bytes a packet (headers only, cut at the snaplen): 1e6 a second for a day
        // was accepted and would have written 11 TB (an audit). The bound is 50 M packets, 6.6 GB.
        let packets = rate * Double(duration)
        guard packets <= Self.maximumPackets else {
            throw ValidationError("--rate × --duration is about \(Int(packets.rounded())) packets (about "
                + String(format: "%.0f", packets * 131.5 / 1e9) + " GB); at most \(Int(Self.maximumPackets)) (6.6 GB): lower --rate or --duration")
        }
    }

    static let maximumPackets = 50_000_000.0

    func run() throws {
        // Checked before the capture is written: a file where the logs' folder goes failed after it,
        // with Foundation's raw error.
        var isFolder: ObjCBool = false
        if let radio, FileManager.default.fileExists(atPath: radio, isDirectory: &isFolder), !isFolder.boolValue {
            printError("flowcast synth: \(radio): --radio names a folder for the radio KPI logs, and this is a file")
            throw ExitCode(2)
        }
        // The logs' folder is made first, so a folder that cannot be made fails before the
        // capture is written (it failed after, with Foundation's raw NSError: an audit).
        if let radio {
            if radio.isEmpty { printError("flowcast synth: --radio needs a folder"); throw ExitCode(2) }
            do { try OutputFolder.create(radio) } catch {
                printError("flowcast synth: \(radio): cannot create the folder: \(error.reason)")
                throw ExitCode(2)
            }
        }
        var generator = DemoCaptureGenerator()
        generator.durationSeconds = duration
        generator.packetsPerSecond = rate
        generator.seed = seed
        // Written beside OUT and renamed over it when whole (an interrupted run left a partial
        // capture in place of the file it was replacing), through `AtomicFile`, as every other output: a device, FIFO or `/dev/stdout` is written
        // straight to, a symbolic link's file is replaced where it lies and keeps its permissions,
        // loops and links to nothing are refused, and a second writer of the same file is refused
        // (its partial file is locked). Renaming over the name itself replaced `/dev/full` with a
        // regular file when run as root, and two runs shared one partial file (audits).
        do {
            let file: AtomicFile
            do { file = try AtomicFile(path: out) } catch { throw SynthError(description: "\(error)") }
            if !file.writesThrough {
                synthPartialPath = strdup(file.temporaryPath)
                removePartialCaptureOnSignal()
            }
            let packets: Int
            do {
                packets = try generator.write(to: file.temporaryPath)
                do { try file.commit() } catch { throw SynthError(description: "\(error)") }
            } catch {
                file.discard()
                throw error
            }
            let written = synthPartialPath
            synthPartialPath = nil
            free(written)
            printError("flowcast synth: wrote \(packets) packets to \(out) (sampled 1:\(generator.sampling); replay with --sampling \(generator.sampling))")
            if let radio {
                var logs = DemoRadioLogGenerator()
                logs.durationSeconds = duration
                logs.seed = seed
                logs.startSeconds = generator.startSeconds
                let paths = try logs.write(to: radio)
                printError("flowcast synth: wrote \(paths.count) radio KPI logs to \(radio)")
            }
        } catch {
            printError("flowcast synth: \(error)")
            throw ExitCode(2)
        }
    }
}
