/// A cell's global identity as a topology's `globalId` writes it: `ecgi:MCC-MNC-ECI` (E-UTRA, TS
/// 23.003 §19.6: 28-bit ECI) or `ncgi:MCC-MNC-NCI` (NR, §19.6A: 36-bit NCI), the cell identity in
/// decimal, as GTPv2-C's ULI names the cell.
public struct GlobalCellID: Hashable, Sendable, CustomStringConvertible {
    public enum Kind: String, Hashable, Sendable {
        /// E-UTRAN cell global identity; the cell identity is an ECI.
        case ecgi
        /// NR cell global identity; the cell identity is an NCI.
        case ncgi

        /// Largest cell identity of the kind: 2^28 − 1 for an ECI, 2^36 − 1 for an NCI.
        public var maximumCellIdentity: UInt64 { self == .ecgi ? (1 << 28) - 1 : (1 << 36) - 1 }
    }

    public var kind: Kind
    /// Mobile country code, three digits.
    public var mcc: String
    /// Mobile network code, two or three digits.
    public var mnc: String
    /// ECI or NCI.
    public var cellIdentity: UInt64

    /// Parses `ecgi:MCC-MNC-ECI` or `ncgi:MCC-MNC-NCI`; nil when the text is not of that form or
    /// the cell identity is out of its range.
    public init?(_ text: String) {
        let parts = text.split(separator: ":", omittingEmptySubsequences: false)
        guard parts.count == 2, let kind = Kind(rawValue: String(parts[0])) else { return nil }
        let fields = parts[1].split(separator: "-", omittingEmptySubsequences: false)
        guard fields.count == 3, fields[0].count == 3, (2...3).contains(fields[1].count),
              fields.allSatisfy({ !$0.isEmpty && $0.allSatisfy { $0.isASCII && $0.isNumber } }),
              let identity = UInt64(fields[2]), identity <= kind.maximumCellIdentity else { return nil }
        self.kind = kind
        mcc = String(fields[0])
        mnc = String(fields[1])
        cellIdentity = identity
    }

    public var description: String { "\(kind.rawValue):\(mcc)-\(mnc)-\(cellIdentity)" }
}

/// A network slice, S-NSSAI (TS 23.003 §28.4.2): slice/service type 0–255 and an optional slice
/// differentiator of 24 bits, written as six hexadecimal digits.
public struct NetworkSlice: Hashable, Sendable {
    /// Slice/service type (1 eMBB, 2 URLLC, 3 MIoT, 4 V2X, … TS 23.501 §5.15.2.2).
    public var sst: Int
    /// Slice differentiator, six hexadecimal digits, when the slice has one.
    public var sd: String?

    public init(sst: Int, sd: String? = nil) {
        self.sst = sst
        self.sd = sd
    }
}

extension Cell {
    /// The parsed `globalID`, when the cell has one.
    public var globalIdentity: GlobalCellID? { globalID.flatMap(GlobalCellID.init) }
}

extension Topology {
    /// The slice a cell's traffic-steering policies are scoped to: the cell's own, else the
    /// topology's default.
    public func slice(ofCell index: Int) -> NetworkSlice? { cells[index].slice ?? defaultSlice }
}
