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
final class LiveSignals: @unchecked Sendable {
    let captures: [LiveCapture]
    let control: LiveControl
    let topologyPath: String
    let log: Logger
    private var sources: [any DispatchSourceSignal] = []
    private var stops = 0
    private let queue = DispatchQueue(label: "flowcast.signals")

    init(captures: [LiveCapture], control: LiveControl, topologyPath: String, log: Logger) {
        self.captures = captures; self.control = control; self.topologyPath = topologyPath; self.log = log
    }

    func install() {
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
                for capture in captures { capture.stop() }
            }
            source.resume()
            sources.append(source)
        }
        signal(SIGHUP, SIG_IGN)
        let hup = DispatchSource.makeSignalSource(signal: SIGHUP, queue: queue)
        hup.setEventHandler { [self] in
            do {
                let topology = try Topology(contentsOfFile: topologyPath)
                control.reload(topology)
                log.notice("topology validated; reloading", metadata: ["file": "\(topologyPath)"])
            } catch {
                log.error("topology reload refused; keeping the current one",
                          metadata: ["file": "\(topologyPath)", "reason": "\(error)"])
            }
        }
        hup.resume()
        sources.append(hup)
    }

    func uninstall() {
        for source in sources { source.cancel() }
        sources.removeAll()
        for number in [SIGINT, SIGTERM, SIGHUP] { signal(number, SIG_DFL) }
    }
}
