internal import FlowcastCore
/// One pcapng Interface Description Block, as far as reading packets needs it.
struct PcapngInterface {
    /// The link type (LINKTYPE_ number, historical DLT_ values mapped).
    var linkType: LinkType
    /// The IDB's snapshot length as stored (0: none).
    var snaplen: UInt32
    var resolution = PcapngTimestampResolution.microseconds
    /// `if_tsoffset`: seconds added to every timestamp.
    var offsetSeconds: Int64 = 0
    /// `if_name` (option 2): the interface's name, as tshark shows it (`frame.interface_name`).
    var name: String?

    /// The text of an `if_name` option: UTF-8, any NULs padding its end left out.
    static func name(_ block: UnsafeRawBufferPointer, at offset: Int, length: Int) -> String {
        var end = offset + length
        while end > offset && block[end - 1] == 0 { end -= 1 }
        return String(decoding: UnsafeRawBufferPointer(rebasing: block[offset..<end]), as: UTF8.self)
    }

    /// Unix seconds and nanoseconds of a timestamp, computed exactly (full-width arithmetic).
    /// Timestamps are unsigned 64-bit counts (a "negative" one is a very late date, as tshark
    /// shows it).
    func exactTime(ticks: UInt64) -> (seconds: Int64, fraction: Int64) {
        let units = resolution.unitsPerSecond
        let remainder = (ticks % units).multipliedFullWidth(by: 1_000_000_000)
        let nanos = units.dividingFullWidth((remainder.high, remainder.low)).quotient
        return (Int64(truncatingIfNeeded: ticks / units) &+ offsetSeconds, Int64(nanos))
    }

    /// The same timestamp computed as libpcap 1.10 computes it with nanosecond precision
    /// requested: 64-bit arithmetic that wraps for fine binary resolutions, and the fraction
    /// narrowed to a C `int`.
    func libpcapTime(ticks: UInt64) -> (seconds: Int64, fraction: Int64) {
        let units = resolution.unitsPerSecond
        let seconds = ticks / units &+ UInt64(bitPattern: offsetSeconds)
        var fraction = ticks % units
        if units != 1_000_000_000 {
            if resolution.isBinary {
                fraction = fraction &* 1_000_000_000 / units
            } else if units > 1_000_000_000 {
                fraction /= units / 1_000_000_000
            } else {
                fraction *= 1_000_000_000 / units
            }
        }
        return (Int64(bitPattern: seconds), Int64(Int32(truncatingIfNeeded: fraction)))
    }
}

/// The current section's interface names, kept by a pcapng reader as it reads interface
/// descriptions and read by its owner while packets are handed out (a class: the reader itself
/// is mutated for the whole read, so it cannot be asked). Index: the packet's interface.
final class InterfaceNameTable: @unchecked Sendable {
    var names: [String?] = []
}

/// The `if_tsresol` option of an interface: timestamp units per second.
struct PcapngTimestampResolution: Equatable {
    var unitsPerSecond: UInt64
    /// A negative power of 2 rather than of 10.
    var isBinary: Bool

    static let microseconds = PcapngTimestampResolution(unitsPerSecond: 1_000_000, isBinary: false)

    /// Why an `if_tsresol` value cannot be used: the units per second do not fit 64 bits.
    enum Refusal: Error {
        /// 2^-exponent, exponent above 63.
        case binaryTooFine(exponent: UInt8)
        /// 10^-exponent, exponent above 19.
        case decimalTooFine(exponent: UInt8)
    }

    /// The one parser of the option's byte: the top bit chooses base 2, the rest is the exponent.
    static func parse(_ value: UInt8) throws(Refusal) -> PcapngTimestampResolution {
        let exponent = value & 0x7F
        if value & 0x80 != 0 {
            guard exponent <= 63 else { throw .binaryTooFine(exponent: exponent) }
            return PcapngTimestampResolution(unitsPerSecond: 1 << UInt64(exponent), isBinary: true)
        }
        guard exponent <= 19 else { throw .decimalTooFine(exponent: exponent) }
        var units: UInt64 = 1
        for _ in 0..<exponent { units *= 10 }
        return PcapngTimestampResolution(unitsPerSecond: units, isBinary: false)
    }
}

/// libpcap 1.10's limits on captured lengths, which decide where its readers (and so ours) refuse
/// a record or clip it.
enum LibpcapLimits {
    /// `max_snaplen_for_dlt`: the largest captured length libpcap accepts for a DLT_ value.
    static func maximumSnapshot(dlt: Int32) -> Int {
        switch dlt {
        case 231: return 128 << 20  // DLT_DBUS
        case 279: return 8 << 20  // DLT_EBHSCR
        case 249: return 1 << 20  // DLT_USBPCAP
        default: return 262_144
        }
    }

    /// `pcap_adjust_snapshot`: a snapshot length of 0 or above the maximum means the maximum.
    static func adjustedSnapshot(dlt: Int32, _ snaplen: UInt32) -> Int {
        let maximum = maximumSnapshot(dlt: dlt)
        return snaplen == 0 || Int(snaplen) > maximum ? maximum : Int(snaplen)
    }
}
