public import FlowcastCore
internal import CPcap
internal import CFlowcastShims
internal import Foundation

/// A source of packets handed out one at a time as borrowed views: a capture file or a live
/// interface. Used through generics (`BatchReader<Source>`), so no packet goes through an
/// existential.
public protocol PacketSource: AnyObject {
    /// The link type of the source's packets, as far as known before reading.
    var primaryLinkType: LinkType { get }
    /// Calls `body` per packet, in order. `drained` runs whenever the source has handed out all
    /// it has ready (a live source about to wait for more; never for a file), so a caller can
    /// pass on a partial batch and look at stop flags. Returns at the end of a file or when a
    /// live capture is stopped.
    func forEachPacket(_ body: (Packet) throws -> Void, drained: () throws -> Void) throws
    /// The name of the interface a packet came on (`Packet.interfaceIndex`), or nil when not
    /// known; asked while the packet is handed out.
    func interfaceName(at index: Int) -> String?
    /// Whether packets wait to be read (a live capture's kernel ring holds a block ready), asked
    /// from `drained` before the wall clock closes windows: false for a file.
    var hasPendingPackets: Bool { get }
}

extension PacketSource {
    public var hasPendingPackets: Bool { false }
}

extension OfflineCapture: PacketSource {
    public var primaryLinkType: LinkType { linkTypes.first ?? .ethernet }
    public func forEachPacket(_ body: (Packet) throws -> Void, drained: () throws -> Void) throws {
        try forEachPacket(body)
    }
}

/// libpcap's counters for a live capture (`pcap_stats`).
public struct LiveCaptureStatistics: Sendable, Equatable {
    /// Packets the kernel saw on the interface for this capture (after the filter).
    public var received: UInt64 = 0
    /// Dropped because the kernel buffer was full (grow `Options.bufferMegabytes`, or read faster).
    public var kernelDrops: UInt64 = 0
    /// Dropped by the interface or its driver before the kernel saw them.
    public var interfaceDrops: UInt64 = 0
    public init() {}
}

/// A network interface as `pcap_findalldevs` lists it.
public struct CaptureInterface: Sendable, Equatable {
    public var name: String
    public var description: String?
    public var addresses: [String]
    public var isUp: Bool
    public var isRunning: Bool
    public var isLoopback: Bool
}

/// Captures live from a network interface through libpcap.
///
/// Every libpcap warning and error becomes a `CaptureError` (or a warning string) carrying
/// libpcap's own text. The handle uses TPACKET_V3 blocks on Linux (no immediate mode): a block
/// is handed over when full or after `timeoutMilliseconds`, which is what keeps up with
/// line-rate bursts; `forEachPacket` reads one block per `pcap_dispatch` call and reports the
/// end of each through `drained`.
public final class LiveCapture: PacketSource, @unchecked Sendable {
    public struct Options: Sendable {
        public var snapshotLength: Int32 = 262_144
        public var bufferMegabytes: Int = 64
        public var promiscuous = true
        public var timeoutMilliseconds: Int32 = 100
        public var filter: String? = nil
        public init() {}
    }

    /// The interface captured from.
    public let interface: String

    /// Every packet comes on `interface` (libpcap's "any" pseudo-interface names none of its own).
    public func interfaceName(at index: Int) -> String? { interface == "any" ? nil : interface }
    public let options: Options
    /// The link type libpcap reports for the interface.
    public let primaryLinkType: LinkType
    /// True when the interface gives nanosecond timestamps (else microseconds, scaled).
    public let nanosecondTimestamps: Bool
    /// libpcap's warnings from activation (e.g. promiscuous mode not supported).
    public let warnings: [String]
    /// Packets handed to the caller so far.
    public private(set) var packetsRead = 0

    private let handle: OpaquePointer
    private let lock = NSLock()
    /// Serializes `pcap_stats`: libpcap adds the socket's counters (which reading resets) into
    /// running totals, so two concurrent calls could lose counts.
    private let statisticsLock = NSLock()
    private var latest = LiveCaptureStatistics()
    private var lastStatisticsRead = DispatchTime.now()
    /// When the drop counters grew (under `lock`), for each window's count of drops.
    private var drops = DropLedger()

    /// Opens and activates `interface`. Throws `.liveCapture` with libpcap's text (and what to do
    /// about a missing privilege), or `.badFilter` with libpcap's compile error as given.
    public convenience init(interface: String, options: Options = Options()) throws(CaptureError) {
        try self.init(interface: interface, options: options, rejectingAll: false)
        try applyFilter()
    }

    /// Opens `threads` handles on `interface` joined in one PACKET_FANOUT group that hashes by
    /// flow (the kernel's symmetric hash of the outer addresses and ports, so both directions of a
    /// flow, and every packet of a GTP-U tunnel endpoint pair, reach the same handle), each with
    /// its own TPACKET_V3 ring. The kernel picks a group id unused in the network namespace.
    ///
    /// Each socket accepts nothing until the whole group is joined and the rings are drained (a
    /// socket not yet in the group would see a copy of what the group sees), then gets the filter:
    /// no packet is read twice.
    public static func fanout(interface: String, options: Options, threads: Int) throws(CaptureError) -> [LiveCapture] {
        var captures: [LiveCapture] = []
        var group: Int32 = -1  // -1: the kernel picks an unused id for the first handle
        for _ in 0..<max(1, threads) {
            let capture = try LiveCapture(interface: interface, options: options, rejectingAll: true)
            let id = flowcast_fanout_join(pcap_fileno(capture.handle), group)
            if id < 0 {
                throw .liveCapture(interface: interface, reason: "cannot join a PACKET_FANOUT group: \(String(cString: strerror(-id)))")
            }
            group = id
            capture.fanoutGroup = UInt16(truncatingIfNeeded: id)
            capture.countsInterfaceDrops = captures.isEmpty
            captures.append(capture)
        }
        // Packets that reached a socket before its group was complete: read and dropped. A
        // TPACKET_V3 block is handed over at most a read timeout after its first packet.
        let deadline = DispatchTime.now().uptimeNanoseconds + UInt64(max(0, options.timeoutMilliseconds)) * 1_000_000 + 50_000_000
        for capture in captures { capture.discardPending(until: deadline) }
        for capture in captures { try capture.applyFilter() }
        return captures
    }

    /// The PACKET_FANOUT group this handle belongs to, if any.
    public private(set) var fanoutGroup: UInt16?
    /// False for every socket of a fanout group but the first. libpcap (1.10, promiscuous mode)
    /// reports as `ps_ifdrop` the growth of the interface's own `rx_dropped` since the socket
    /// opened, the same figure for every socket on the interface: added over a group of N it
    /// was N times the interface's drops.
    public private(set) var countsInterfaceDrops = true

    private init(interface: String, options: Options, rejectingAll: Bool) throws(CaptureError) {
        self.interface = interface
        self.options = options
        var errbuf = [CChar](repeating: 0, count: Int(PCAP_ERRBUF_SIZE) + 1)
        guard let pcap = pcap_create(interface, &errbuf) else {
            throw .liveCapture(interface: interface, reason: Self.text(errbuf))
        }
        func check(_ status: Int32, _ what: String) throws(CaptureError) {
            if status != 0 {
                let reason = "\(what): \(String(cString: pcap_statustostr(status)))"
                pcap_close(pcap)
                throw .liveCapture(interface: interface, reason: reason)
            }
        }
        try check(pcap_set_snaplen(pcap, options.snapshotLength), "cannot set the snapshot length")
        try check(pcap_set_buffer_size(pcap, Int32(clamping: options.bufferMegabytes << 20)), "cannot set the buffer size")
        try check(pcap_set_promisc(pcap, options.promiscuous ? 1 : 0), "cannot set promiscuous mode")
        try check(pcap_set_timeout(pcap, options.timeoutMilliseconds), "cannot set the read timeout")
        // Nanosecond timestamps where offered; PCAP_ERROR_TSTAMP_PRECISION_NOTSUP means microseconds.
        let nano = pcap_set_tstamp_precision(pcap, Int32(PCAP_TSTAMP_PRECISION_NANO)) == 0
        var warnings: [String] = []
        let status = pcap_activate(pcap)
        if status < 0 {
            let detail = String(cString: pcap_geterr(pcap))
            pcap_close(pcap)
            throw Self.activationError(status, detail: detail, interface: interface)
        }
        if status > 0 {
            let detail = String(cString: pcap_geterr(pcap))
            warnings.append("\(String(cString: pcap_statustostr(status)))\(detail.isEmpty ? "" : ": " + detail)")
        }
        handle = pcap
        nanosecondTimestamps = nano && pcap_get_tstamp_precision(pcap) == Int32(PCAP_TSTAMP_PRECISION_NANO)
        primaryLinkType = LinkType(dlt: pcap_datalink(pcap))
        self.warnings = warnings
        if rejectingAll {
            let status = flowcast_filter_reject_all(pcap_fileno(pcap))
            if status < 0 { throw .liveCapture(interface: interface, reason: "cannot attach a socket filter: \(String(cString: strerror(-status)))") }
            rejecting = true
        }
    }

    /// Set while the reject-everything socket filter of `fanout` is attached.
    private var rejecting = false

    private func applyFilter() throws(CaptureError) {
        let pcap = handle
        if let filter = options.filter {
            var program = bpf_program()
            if pcap_compile(pcap, &program, filter, 1, PCAP_NETMASK_UNKNOWN) != 0 {
                let reason = String(cString: pcap_geterr(pcap))
                throw .badFilter(filter: filter, reason: reason)
            }
            defer { pcap_freecode(&program) }
            if pcap_setfilter(pcap, &program) != 0 {
                throw .badFilter(filter: filter, reason: String(cString: pcap_geterr(pcap)))
            }
        } else if rejecting {
            let status = flowcast_filter_detach(pcap_fileno(pcap))
            if status < 0 { throw .liveCapture(interface: interface, reason: "cannot detach the socket filter: \(String(cString: strerror(-status)))") }
        }
        rejecting = false
    }

    /// Reads and drops whatever the ring holds until `deadline` (uptime nanoseconds).
    private func discardPending(until deadline: UInt64) {
        var errbuf = [CChar](repeating: 0, count: Int(PCAP_ERRBUF_SIZE) + 1)
        guard pcap_setnonblock(handle, 1, &errbuf) == 0 else { return }
        defer { _ = pcap_setnonblock(handle, 0, &errbuf) }
        while DispatchTime.now().uptimeNanoseconds < deadline {
            if pcap_dispatch(handle, -1, { _, _, _ in }, nil) <= 0 { usleep(5_000) }
        }
    }

    deinit { pcap_close(handle) }

    static func text(_ errbuf: [CChar]) -> String {
        String(decoding: errbuf.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }

    static func activationError(_ status: Int32, detail: String, interface: String) -> CaptureError {
        let name = String(cString: pcap_statustostr(status))
        let said = detail.isEmpty ? name : detail
        switch status {
        case PCAP_ERROR_PERM_DENIED:
            return .liveCapture(interface: interface, reason:
                "permission denied: run as root or grant the program CAP_NET_RAW and CAP_NET_ADMIN (libpcap: \(said))")
        case PCAP_ERROR_NO_SUCH_DEVICE:
            return .noSuchInterface(interface: interface, detail: said)
        case PCAP_ERROR_IFACE_NOT_UP:
            return .liveCapture(interface: interface, reason: "the interface is down: ip link set \(interface) up (libpcap: \(said))")
        default:
            return .liveCapture(interface: interface, reason: said)
        }
    }

    /// Whether a capture error means the interface does not exist (a program may say how to list them).
    public static func isMissingInterface(_ error: CaptureError) -> Bool {
        if case .noSuchInterface = error { return true }
        return false
    }

    /// Whether a capture error means the process may not capture (a program may say how to grant it).
    public static func isPermissionDenied(_ error: CaptureError) -> Bool {
        if case let .liveCapture(_, reason) = error { return reason.hasPrefix("permission denied") }
        return false
    }

    /// Stops `forEachPacket` soon: safe from any thread (libpcap ≥ 1.10 wakes a blocked read).
    ///
    /// The socket takes nothing more from then on (a reject-all socket filter): the counters read
    /// after the stop (the last window's drops, summary.json) are those of the run. Until
    /// 7 December 2026 a tap stopped under load counted as kernel drops every packet that reached
    /// its full ring while it wrote its last files: an audit's summary said 23,707 drops where
    /// its windows, which end at the stop, held 2,875.
    public func stop() {
        lock.lock(); let first = !stopped; stopped = true; lock.unlock()
        if first { _ = flowcast_filter_reject_all(pcap_fileno(handle)) }
        pcap_breakloop(handle)
    }

    /// Makes a blocked `forEachPacket` return from its read and call `drained` once, then read
    /// on: safe from any thread. On a quiet interface a TPACKET_V3 read does not wake by itself
    /// (the kernel hands over no empty block), so a run on several threads wakes an idle one to
    /// have it close its windows by the wall clock.
    public func wake() { pcap_breakloop(handle) }

    /// Whether the kernel ring holds packets not yet read: its socket polls readable (TPACKET_V3
    /// makes it so when a block is handed to user space). A read woken by `wake()` or the clock
    /// returns with nothing while a ring that filled during a stall (SIGSTOP, a paused VM, a
    /// starved CPU) waits: the wall clock must not close the windows those packets belong to.
    public var hasPendingPackets: Bool {
        let fd = pcap_get_selectable_fd(handle)
        guard fd >= 0 else { return false }
        var entry = pollfd(fd: fd, events: Int16(POLLIN), revents: 0)
        return poll(&entry, 1, 0) > 0 && entry.revents & Int16(POLLIN) != 0
    }

    private var stopped = false
    private var isStopped: Bool { lock.lock(); defer { lock.unlock() }; return stopped }

    /// The latest counters, as of the last `refreshStatistics()` (the reading thread calls it about
    /// twice a second while packets arrive, and at the end).
    public var statistics: LiveCaptureStatistics {
        lock.lock(); defer { lock.unlock() }
        return latest
    }

    /// Reads libpcap's counters now. Safe from any thread while the handle is open: calls are
    /// serialized, and `pcap_stats` reads the socket's counters (on Linux `PACKET_STATISTICS`),
    /// which the reading path does not touch. A blocked read does not wake while the interface is
    /// idle, so a caller that needs fresh counters then (a metrics scrape) calls this itself.
    @discardableResult
    public func refreshStatistics() -> LiveCaptureStatistics {
        statisticsLock.lock(); defer { statisticsLock.unlock() }
        var s = pcap_stat()
        guard pcap_stats(handle, &s) == 0 else { return statistics }
        lock.lock(); defer { lock.unlock() }
        // libpcap's counters are 32 bits; keep 64-bit totals across wrap-around.
        latest.received = Self.widen(latest.received, UInt32(s.ps_recv))
        latest.kernelDrops = Self.widen(latest.kernelDrops, UInt32(s.ps_drop))
        if countsInterfaceDrops { latest.interfaceDrops = Self.widen(latest.interfaceDrops, UInt32(s.ps_ifdrop)) }
        var now = timespec()
        clock_gettime(CLOCK_REALTIME, &now)
        drops.record(total: latest.kernelDrops &+ latest.interfaceDrops, at: Int64(now.tv_sec) * 1_000_000_000 + Int64(now.tv_nsec))
        return latest
    }

    /// Packets this handle's kernel and interface drop counters grew by, as read by
    /// `refreshStatistics`, before `end` (wall-clock ns) and not yet given to a window; with `end`
    /// nil (the run's last window), all not yet given (`DropLedger`). Call once per window, in
    /// window order, after a fresh `refreshStatistics()`.
    package func takeDrops(before end: Int64?) -> UInt64 {
        lock.lock(); defer { lock.unlock() }
        return drops.take(before: end)
    }

    static func widen(_ previous: UInt64, _ now: UInt32) -> UInt64 {
        let low = UInt32(truncatingIfNeeded: previous)
        let high = previous & ~UInt64(UInt32.max)
        return now >= low ? high | UInt64(now) : (high + (1 << 32)) | UInt64(now)
    }

    private final class DispatchContext {
        var body: (Packet) throws -> Void
        var error: (any Error)?
        var number: Int
        let linkType: LinkType
        let scale: Int64
        init(body: @escaping (Packet) throws -> Void, number: Int, linkType: LinkType, scale: Int64) {
            self.body = body; self.number = number; self.linkType = linkType; self.scale = scale
        }
    }

    /// Reads until `stop()`. `drained` runs after each block libpcap hands over (and on each read
    /// timeout), from this thread.
    public func forEachPacket(_ body: (Packet) throws -> Void, drained: () throws -> Void) throws {
        try withoutActuallyEscaping(body) { escapable in
            let context = DispatchContext(body: escapable, number: packetsRead, linkType: primaryLinkType,
                                          scale: nanosecondTimestamps ? 1 : 1000)
            let user = Unmanaged.passUnretained(context).toOpaque()
            defer { packetsRead = context.number }
            while true {
                let status = pcap_dispatch(handle, -1, { user, header, data in
                    guard let user, let header, let data else { return }
                    let context = Unmanaged<DispatchContext>.fromOpaque(user).takeUnretainedValue()
                    guard context.error == nil else { return }
                    context.number += 1
                    let h = header.pointee
                    let packet = Packet(number: context.number, seconds: Int64(h.ts.tv_sec),
                                        fraction: Int64(h.ts.tv_usec) * context.scale,
                                        wireLength: Int(min(h.len, UInt32(Int32.max))),
                                        bytes: UnsafeRawBufferPointer(start: data, count: Int(h.caplen)),
                                        linkType: context.linkType)
                    do { try context.body(packet) } catch { context.error = error }
                }, user.assumingMemoryBound(to: UInt8.self))
                if let error = context.error {
                    packetsRead = context.number
                    throw error
                }
                if status == PCAP_ERROR_BREAK && isStopped { break }
                if status < 0 && status != PCAP_ERROR_BREAK {  // a break not from stop() is a wake()
                    throw CaptureError.liveCapture(interface: interface, reason: String(cString: pcap_geterr(handle)))
                }
                let now = DispatchTime.now()
                if now.uptimeNanoseconds &- lastStatisticsRead.uptimeNanoseconds > 500_000_000 {
                    lastStatisticsRead = now
                    refreshStatistics()
                }
                packetsRead = context.number
                try drained()
            }
            refreshStatistics()
        }
    }

    /// The interfaces libpcap can capture from.
    public static func listInterfaces() throws(CaptureError) -> [CaptureInterface] {
        var errbuf = [CChar](repeating: 0, count: Int(PCAP_ERRBUF_SIZE) + 1)
        var list: UnsafeMutablePointer<pcap_if_t>?
        guard pcap_findalldevs(&list, &errbuf) == 0 else {
            throw .liveCapture(interface: "(all)", reason: text(errbuf))
        }
        defer { pcap_freealldevs(list) }
        var result: [CaptureInterface] = []
        var next = list
        while let device = next {
            let d = device.pointee
            var addresses: [String] = []
            var a = d.addresses
            while let address = a {
                if let text = Self.describe(address.pointee.addr) { addresses.append(text) }
                a = address.pointee.next
            }
            result.append(CaptureInterface(
                name: String(cString: d.name), description: d.description.map { String(cString: $0) },
                addresses: addresses, isUp: d.flags & UInt32(PCAP_IF_UP) != 0,
                isRunning: d.flags & UInt32(PCAP_IF_RUNNING) != 0, isLoopback: d.flags & UInt32(PCAP_IF_LOOPBACK) != 0))
            next = d.next
        }
        return result
    }

    private static func describe(_ address: UnsafeMutablePointer<sockaddr>?) -> String? {
        guard let address else { return nil }
        var buffer = [CChar](repeating: 0, count: Int(INET6_ADDRSTRLEN) + 1)
        switch Int32(address.pointee.sa_family) {
        case AF_INET:
            return address.withMemoryRebound(to: sockaddr_in.self, capacity: 1) { sin in
                var a = sin.pointee.sin_addr
                return inet_ntop(AF_INET, &a, &buffer, socklen_t(buffer.count)).map { String(cString: $0) }
            }
        case AF_INET6:
            return address.withMemoryRebound(to: sockaddr_in6.self, capacity: 1) { sin in
                var a = sin.pointee.sin6_addr
                return inet_ntop(AF_INET6, &a, &buffer, socklen_t(buffer.count)).map { String(cString: $0) }
            }
        default:
            return nil
        }
    }
}
