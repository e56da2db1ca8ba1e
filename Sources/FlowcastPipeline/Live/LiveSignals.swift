internal import Dispatch
internal import FlowcastCapture
internal import FlowcastTopology
internal import Logging
#if canImport(Glibc)
internal import Glibc
#endif

/// SIGINT / SIGTERM stop a live run (a second one exits at once, status 128 + N); SIGHUP
/// reloads the topology, validated first.
///
/// Through dispatch sources: the handlers run on a queue, not in signal context, so they may
/// lock, allocate and log. The signals themselves are ignored (SIG_IGN) while installed, so only
/// the sources see them; `uninstall` gives them back their default action.
///
/// SIGHUP is taken first thing (`installReload`), before the run reads its models, opens the
/// interfaces and moves an earlier run's files: configuration management often reloads a tap as
/// it restarts it, and SIGHUP's default action would end the starting run half-way. A reload
/// asked for then is handed to the run's first batch. SIGINT and SIGTERM are taken first thing
/// too (`installStop`): taken only once the interfaces were open, after the metrics socket was
/// bound, a SIGTERM sent as soon as the metrics answered could fall between `SIG_IGN` and the
/// source's start and be lost, and the tap ran on (seen once in a full test run, 5 December
/// 2026). A stop asked for before the interfaces are open stops them as they are handed over
/// (`captureOpened`), and the run ends at once, writing its end.
final class LiveSignals: @unchecked Sendable {
    let control: LiveControl
    let topologyPath: String
    let log: Logger
    private var captures: [LiveCapture] = []
    private var sources: [any DispatchSourceSignal] = []
    private var stops = 0
    private let queue = DispatchQueue(label: "flowcast.signals")

    init(control: LiveControl, topologyPath: String, log: Logger) {
        self.control = control; self.topologyPath = topologyPath; self.log = log
    }

    /// SIGHUP: reload the topology (validated first; a bad file is logged and the current one kept).
    func installReload() {
        signal(SIGHUP, SIG_IGN)
        let hup = DispatchSource.makeSignalSource(signal: SIGHUP, queue: queue)
        hup.setEventHandler { [self] in
            do {
                let topology = try Topology(contentsOfFile: topologyPath)
                control.reload(topology)
                log.notice("topology validated; reloading", metadata: ["file": "\(topologyPath)"])
                // Valid, but it places nothing: every packet from now on is unmatched (an audit
                // reloaded `bands: []` without a word). Taken, since an operator may mean it.
                if topology.cells.isEmpty && topology.rules.isEmpty && topology.links.isEmpty {
                    log.warning("the reloaded topology has no cells, links or match rules: all traffic is unmatched from now on",
                                metadata: ["file": "\(topologyPath)"])
                }
            } catch {
                log.error("topology reload refused; keeping the current one",
                          metadata: ["file": "\(topologyPath)", "reason": "\(error)"])
            }
        }
        hup.resume()
        sources.append(hup)
    }

    /// The run's captures, once open: a stop asked for before stops them now.
    func captureOpened(_ captures: [LiveCapture]) {
        queue.sync {
            self.captures = captures
            if stops > 0 { for capture in captures { capture.stop() } }
        }
    }

    /// SIGINT / SIGTERM: stop the captures (the run then writes its end); a second signal exits at once.
    func installStop() {
        for number in [SIGINT, SIGTERM] {
            signal(number, SIG_IGN)
            let source = DispatchSource.makeSignalSource(signal: number, queue: queue)
            source.setEventHandler { [self, source] in  // the cycle ends when `uninstall` cancels the source
                // A dispatch source merges signals that arrive before its handler runs: `data`
                // counts them, so two quick SIGTERMs are still a second signal.
                stops += max(1, Int(source.data))
                if stops > 1 {
                    log.critical("second signal: exiting now")
                    _exit(128 + number)
                }
                log.notice("stopping: writing the open window, flows, final policy and summary",
                           metadata: ["signal": "\(number == SIGINT ? "SIGINT" : "SIGTERM")"])
                control.markStopping()
                for capture in self.captures { capture.stop() }
            }
            source.resume()
            sources.append(source)
        }
    }

    func uninstall() {
        for source in sources { source.cancel() }
        sources.removeAll()
        for number in [SIGINT, SIGTERM, SIGHUP] { signal(number, SIG_DFL) }
    }
}
