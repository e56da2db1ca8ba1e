internal import CPcap

/// libpcap's own offline reader, `pcap_next_ex` from the first packet to the last: the reference
/// the in-place readers are compared against in tests (package access; Flowcast reads files
/// through `OfflineCapture`).
package enum LibpcapReference {
    /// One packet as libpcap hands it over, copied.
    package struct Record: Equatable, Sendable {
        package var seconds: Int64, fraction: Int64, wireLength: Int, bytes: [UInt8]
        package init(seconds: Int64, fraction: Int64, wireLength: Int, bytes: [UInt8]) {
            self.seconds = seconds; self.fraction = fraction; self.wireLength = wireLength; self.bytes = bytes
        }
    }

    /// Every packet libpcap delivers, with nanosecond timestamps, and libpcap's own words if it
    /// stops before the end of the file (at opening when there are no records).
    package static func read(path: String) -> (records: [Record], refusal: String?) {
        var errbuf = [CChar](repeating: 0, count: Int(PCAP_ERRBUF_SIZE) + 1)
        guard let pcap = pcap_open_offline_with_tstamp_precision(path, UInt32(PCAP_TSTAMP_PRECISION_NANO), &errbuf) else {
            return ([], String(decoding: errbuf.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self))
        }
        defer { pcap_close(pcap) }
        var records: [Record] = []
        var header: UnsafeMutablePointer<pcap_pkthdr>?
        var data: UnsafePointer<UInt8>?
        while true {
            let status = pcap_next_ex(pcap, &header, &data)
            guard status == 1, let header, let data else {
                return (records, status == PCAP_ERROR_BREAK ? nil : String(cString: pcap_geterr(pcap)))
            }
            let h = header.pointee
            // With nanosecond precision requested, tv_usec holds nanoseconds. libpcap reads a pcap
            // record's seconds as signed 32 bits; the readers read them unsigned, as the format
            // and tshark do (a pcapng record's seconds are never negative).
            // Its microseconds are scaled to nanoseconds as an unsigned 32-bit product; tshark's
            // (and the readers') product is signed, so a microsecond field of 2,147,484 or more
            // gives a negative fraction there: compare as signed 32 bits.
            let seconds = h.ts.tv_sec < 0 ? Int64(h.ts.tv_sec) + (1 << 32) : Int64(h.ts.tv_sec)
            records.append(Record(seconds: seconds, fraction: Int64(Int32(truncatingIfNeeded: h.ts.tv_usec)), wireLength: clampedWireLength(h.len),
                                  bytes: Array(UnsafeBufferPointer(start: data, count: Int(h.caplen)))))
        }
    }
}

extension LibpcapReference {
    /// The 1-based numbers of the packets that pass `filter` as tcpdump judges them: compiled by
    /// libpcap on the file's own handle (netmask 0, optimised, as tcpdump does) and run on each
    /// packet exactly as libpcap hands it over. Nil with libpcap's message when it cannot compile.
    package static func matching(path: String, filter: String) -> (numbers: [Int], refusal: String?)? {
        var errbuf = [CChar](repeating: 0, count: Int(PCAP_ERRBUF_SIZE) + 1)
        guard let pcap = pcap_open_offline_with_tstamp_precision(path, UInt32(PCAP_TSTAMP_PRECISION_NANO), &errbuf) else {
            return ([], String(decoding: errbuf.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self))
        }
        defer { pcap_close(pcap) }
        var program = bpf_program()
        guard pcap_compile(pcap, &program, filter, 1, 0) == 0 else { return nil }
        defer { pcap_freecode(&program) }
        var numbers: [Int] = []
        var number = 0
        var header: UnsafeMutablePointer<pcap_pkthdr>?
        var data: UnsafePointer<UInt8>?
        while true {
            let status = pcap_next_ex(pcap, &header, &data)
            guard status == 1, let header, let data else {
                return (numbers, status == PCAP_ERROR_BREAK ? nil : String(cString: pcap_geterr(pcap)))
            }
            number += 1
            if pcap_offline_filter(&program, header, data) != 0 { numbers.append(number) }
        }
    }
}
