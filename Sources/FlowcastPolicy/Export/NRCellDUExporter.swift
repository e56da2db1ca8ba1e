/// NR cell configuration as 3GPP TS 28.541's NR NRM names it: per cell an `NRCellDU` and, for each
/// carrier, an `NRSectorCarrier` (both with `arfcnDL`, `arfcnUL`, `bSChannelBwDL` and
/// `bSChannelBwUL`), and nothing the NRM does not define.
///
/// Each contiguous run of a cell's blocks becomes carriers of the bandwidths its NR band allows
/// (TS 38.104 Table 5.3.5-1; a run no single bandwidth fits becomes the fewest carriers that fill
/// it exactly), each at the point of the band's channel raster nearest its centre
/// (Table 5.4.2.3-1, on the global raster of §5.4.2.1). Its uplink is the paired carrier: on an FDD
/// band the same bandwidth at the band's duplex distance (the planned blocks are paired spectrum:
/// moving the downlink alone would leave the cell's uplink where the old pairing put it), on a TDD
/// band the carrier itself. The `NRCellDU` carries its first carrier's attributes and refers to
/// all of them through `nRSectorCarrierRef`.
enum NRCellDUExporter {
    struct Document: Encodable {
        var NRCellDU: [Cell]
        var NRSectorCarrier: [SectorCarrier]
    }
    struct Cell: Encodable {
        var id: String
        var attributes: CellAttributes
    }
    struct CellAttributes: Encodable {
        var administrativeState: String
        var arfcnDL: Int?
        var arfcnUL: Int?
        var bSChannelBwDL: Int?
        var bSChannelBwUL: Int?
        var nRSectorCarrierRef: [String]?
        var userLabel: String
    }
    struct SectorCarrier: Encodable {
        var id: String
        var attributes: CarrierAttributes
    }
    struct CarrierAttributes: Encodable {
        var arfcnDL: Int
        var arfcnUL: Int
        var bSChannelBwDL: Int
        var bSChannelBwUL: Int
        var userLabel: String
    }
    /// One carrier: its downlink and uplink NR-ARFCN, its bandwidth (the same both ways), and the
    /// downlink MHz range it was cut from.
    struct Carrier: Equatable {
        var arfcnDL: Int
        var arfcnUL: Int
        var bSChannelBwDL: Int
        var lowMHz: Double
    }

    /// The carriers of one contiguous run `[lowMHz, highMHz]` in `band`, lowest first.
    static func carriers(lowMHz: Double, highMHz: Double, band: NRBand, cell: String) throws(PolicyError) -> [Carrier] {
        let dl = band.downlinkKHz
        guard Double(dl.lowerBound) <= lowMHz * 1000 + 1e-6, highMHz * 1000 <= Double(dl.upperBound) + 1e-6 else {
            throw .inconsistent("NRCellDU export: cell '\(cell)' uses \(lowMHz)–\(highMHz) MHz, outside band \(band.name)'s downlink "
                                + "\(Double(dl.lowerBound) / 1000)–\(Double(dl.upperBound) / 1000) MHz (TS 38.104 Table 5.2-1)")
        }
        guard let widths = band.carrierBandwidths(filling: highMHz - lowMHz) else {
            throw .inconsistent("NRCellDU export: cell '\(cell)' has a run of \(highMHz - lowMHz) MHz (\(lowMHz)–\(highMHz) MHz) that no "
                                + "sum of \(band.name)'s channel bandwidths (\(band.channelBandwidthsMHz.map(String.init).joined(separator: ", ")) MHz) fills")
        }
        var low = lowMHz
        return widths.map { width in
            defer { low += Double(width) }
            let centreKHz = (low + Double(width) / 2) * 1000
            return Carrier(arfcnDL: band.nearestNREF(toKHz: centreKHz), arfcnUL: band.uplinkNREF(forDownlinkKHz: centreKHz),
                           bSChannelBwDL: width, lowMHz: low)
        }
    }

    /// `1810` or `1812.5`: MHz as the topology writes them, whatever the locale.
    static func mhz(_ value: Double) -> String {
        value == value.rounded() ? String(Int(value)) : String(value)
    }

    static func configuration(_ document: PolicyDocument) throws(PolicyError) -> Document {
        var cells: [Cell] = []
        var sectorCarriers: [SectorCarrier] = []
        for cell in document.spectrum.cells {
            // A cell given no block is LOCKED: its label says so (it read "n78 blocks ", a trailing space).
            let label = cell.blocks.isEmpty ? "\(cell.band) no blocks" : "\(cell.band) blocks \(cell.blocks.map(String.init).joined(separator: ","))"
            var carriers: [Carrier] = []
            if !cell.carriersMHz.isEmpty {
                guard let band = NRBand.known[cell.band] else {
                    throw .inconsistent("NRCellDU export: cell '\(cell.id)' is in band '\(cell.band)', which is not an NR operating band "
                                        + "Flowcast knows (\(NRBand.known.keys.sorted { $0.count == $1.count ? $0 < $1 : $0.count < $1.count }.joined(separator: ", "))); "
                                        + "name the topology's band by its TS 38.104 operating band")
                }
                for run in cell.carriersMHz where run.count >= 2 {
                    carriers += try Self.carriers(lowMHz: run[0], highMHz: run[1], band: band, cell: cell.id)
                }
            }
            let ids = carriers.indices.map { "\(cell.id)-carrier-\($0 + 1)" }
            for (id, carrier) in zip(ids, carriers) {
                sectorCarriers.append(SectorCarrier(id: id, attributes: CarrierAttributes(
                    arfcnDL: carrier.arfcnDL, arfcnUL: carrier.arfcnUL, bSChannelBwDL: carrier.bSChannelBwDL,
                    bSChannelBwUL: carrier.bSChannelBwDL,
                    userLabel: "\(cell.band) \(mhz(carrier.lowMHz))–\(mhz(carrier.lowMHz + Double(carrier.bSChannelBwDL))) MHz")))
            }
            cells.append(Cell(id: cell.id, attributes: CellAttributes(
                administrativeState: carriers.isEmpty ? "LOCKED" : "UNLOCKED",
                arfcnDL: carriers.first?.arfcnDL, arfcnUL: carriers.first?.arfcnUL,
                bSChannelBwDL: carriers.first?.bSChannelBwDL, bSChannelBwUL: carriers.first?.bSChannelBwDL,
                nRSectorCarrierRef: ids.isEmpty ? nil : ids, userLabel: label)))
        }
        return Document(NRCellDU: cells, NRSectorCarrier: sectorCarriers)
    }
}
