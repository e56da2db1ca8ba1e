/// NR cell configuration in the style of 3GPP TS 28.541 `NRCellDU`: per cell, `arfcnDL` (the
/// NR-ARFCN of the carrier centre, TS 38.104 §5.4.2.1) and `bSChannelBwDL` (MHz). A cell whose
/// blocks form several runs lists the later runs under `additionalCarriers`.
enum NRCellDUExporter {
    struct Document: Encodable { var NRCellDU: [Cell] }
    struct Cell: Encodable {
        var id: String
        var attributes: Attributes
    }
    struct Attributes: Encodable {
        var administrativeState: String
        var arfcnDL: Int?
        var bSChannelBwDL: Int
        var additionalCarriers: [Carrier]?
        var userLabel: String
    }
    struct Carrier: Encodable {
        var arfcnDL: Int
        var bSChannelBwDL: Int
    }

    /// NR-ARFCN of a frequency in MHz (global raster: 5 kHz below 3 GHz, 15 kHz from 3 to 24.25 GHz,
    /// 60 kHz above).
    static func arfcn(mhz: Double) -> Int {
        switch mhz {
        case ..<3000: Int((mhz / 0.005).rounded())
        case ..<24250: 600_000 + Int(((mhz - 3000) / 0.015).rounded())
        default: 2_016_667 + Int(((mhz - 24250.08) / 0.06).rounded())
        }
    }

    static func configuration(_ document: PolicyDocument) -> Document {
        Document(NRCellDU: document.spectrum.cells.map { cell in
            let carriers = cell.carriersMHz.map { Carrier(arfcnDL: arfcn(mhz: ($0[0] + $0[1]) / 2), bSChannelBwDL: Int(($0[1] - $0[0]).rounded())) }
            return Cell(id: cell.id, attributes: Attributes(
                administrativeState: carriers.isEmpty ? "LOCKED" : "UNLOCKED",
                arfcnDL: carriers.first?.arfcnDL,
                bSChannelBwDL: carriers.first?.bSChannelBwDL ?? 0,
                additionalCarriers: carriers.count > 1 ? Array(carriers.dropFirst()) : nil,
                userLabel: "\(cell.band) blocks \(cell.blocks.map(String.init).joined(separator: ","))"))
        })
    }
}
