public import FlowcastCore
internal import CPcap

/// A BPF filter expression for capture files, as tcpdump applies one to `-r FILE EXPR`: libpcap
/// compiles it (`pcap_compile`, optimised, netmask 0 as tcpdump uses for a file) and runs it on
/// each packet's bytes in place (`pcap_offline_filter`).
///
/// The program is compiled on a handle libpcap opened on the file itself where it can (the file's
/// first link type), as tcpdump's is: for some link types the program depends on the file, not
/// only on the link type. A BSD loopback (NULL) file's address family is in its writer's byte
/// order, and libpcap tests a file for every BSD value of AF_INET6 (24, 28, 30) where a handle
/// of `pcap_open_dead` tests this host's (10): `ip6` matched no IPv6 packet of a macOS capture.
/// Other link types, and a file libpcap refuses, compile on `pcap_open_dead`.
///
/// A program is compiled per link type: a pcapng file's interfaces may differ. The link types
/// known when the file opens are compiled then (so a bad expression is refused before anything
/// is read); one first met later in a file is compiled when its first packet arrives, and a
/// refusal then is thrown from the read like a capture fault.
public final class CaptureFilter {
    /// The expression as given.
    public let expression: String
    private var programs: [(linkType: LinkType, program: UnsafeMutablePointer<bpf_program>)] = []
    /// The program of the last link type asked for: every packet of a single-link-type file hits it.
    private var lastLinkType: LinkType
    private var lastProgram: UnsafeMutablePointer<bpf_program>

    /// Compiles `expression` for each of `linkTypes` (at least one; Ethernet when empty), on a
    /// handle opened on `savefile` for the file's own link type when it is given and libpcap
    /// opens it. Throws `.badFilter` with libpcap's message as given.
    public init(expression: String, linkTypes: [LinkType], savefile: String? = nil) throws(CaptureError) {
        self.expression = expression
        var file: OpaquePointer?
        if let savefile {
            var errbuf = [CChar](repeating: 0, count: Int(PCAP_ERRBUF_SIZE) + 1)
            file = pcap_open_offline_with_tstamp_precision(savefile, UInt32(PCAP_TSTAMP_PRECISION_NANO), &errbuf)
        }
        defer { if let file { pcap_close(file) } }
        let first = linkTypes.first ?? .ethernet
        let program = try Self.compile(expression, for: first, savefile: file)
        programs.append((first, program))
        lastLinkType = first
        lastProgram = program
        for linkType in linkTypes.dropFirst() where !programs.contains(where: { $0.linkType == linkType }) {
            do throws(CaptureError) { programs.append((linkType, try Self.compile(expression, for: linkType, savefile: file))) } catch {
                freePrograms()
                throw error
            }
        }
    }

    deinit { freePrograms() }

    private func freePrograms() {
        for (_, program) in programs {
            pcap_freecode(program)
            program.deallocate()
        }
        programs.removeAll()
    }

    /// Whether `packet` passes, as libpcap would judge it: `capturedLength` bytes of it (libpcap
    /// clips a pcap record at the file's snapshot length where Flowcast keeps it whole).
    @inline(__always)
    func matches(_ packet: Packet, capturedLength: Int) throws(CaptureError) -> Bool {
        if packet.linkType != lastLinkType { try select(packet.linkType) }
        // The record header libpcap would hand over, on the stack; BPF reads only the lengths.
        var header = pcap_pkthdr()
        header.caplen = UInt32(truncatingIfNeeded: capturedLength)
        header.len = UInt32(truncatingIfNeeded: packet.wireLength)
        let data = packet.bytes.baseAddress?.assumingMemoryBound(to: UInt8.self)
        return pcap_offline_filter(lastProgram, &header, data) != 0
    }

    /// Makes `linkType`'s program the current one, compiling it the first time.
    private func select(_ linkType: LinkType) throws(CaptureError) {
        if let found = programs.first(where: { $0.linkType == linkType }) {
            lastLinkType = linkType
            lastProgram = found.program
            return
        }
        let program = try Self.compile(expression, for: linkType)
        programs.append((linkType, program))
        lastLinkType = linkType
        lastProgram = program
    }

    /// Compiles on `savefile` (a handle libpcap opened on the capture) when its link type is
    /// `linkType`, else on a handle of `pcap_open_dead`.
    private static func compile(_ expression: String, for linkType: LinkType,
                                savefile: OpaquePointer? = nil) throws(CaptureError) -> UnsafeMutablePointer<bpf_program> {
        let dlt = dlt(linkType)
        let pcap: OpaquePointer
        if let savefile, pcap_datalink(savefile) == dlt {
            pcap = savefile
        } else {
            guard let dead = pcap_open_dead(dlt, Int32(LibpcapLimits.maximumSnapshot(dlt: dlt))) else {
                throw .badFilter(filter: expression, reason: "libpcap cannot open a handle for link type \(linkType)")
            }
            pcap = dead
        }
        defer { if pcap != savefile { pcap_close(pcap) } }
        let program = UnsafeMutablePointer<bpf_program>.allocate(capacity: 1)
        program.initialize(to: bpf_program())
        // Netmask 0 and optimisation on, as tcpdump compiles for a file.
        guard pcap_compile(pcap, program, expression, 1, 0) == 0 else {
            program.deallocate()
            throw .badFilter(filter: expression, reason: String(cString: pcap_geterr(pcap)))
        }
        return program
    }

    /// libpcap's DLT_ value for a LINKTYPE_ number: they differ for a few historical values,
    /// which `pcap_open_dead` takes only as DLT_ (libpcap does not export its own mapping,
    /// `linktype_to_dlt`, so the few differing values are listed here).
    static func dlt(_ linkType: LinkType) -> Int32 {
        switch linkType.rawValue {
        case 100: return DLT_ATM_RFC1483
        case 101: return DLT_RAW
        case 102: return DLT_SLIP_BSDOS
        case 103: return DLT_PPP_BSDOS
        case 106: return DLT_ATM_CLIP
        default: return Int32(truncatingIfNeeded: linkType.rawValue)
        }
    }
}
