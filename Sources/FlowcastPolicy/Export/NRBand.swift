/// An NR operating band as TS 38.104 defines it: its downlink range, channel raster and the BS
/// channel bandwidths it allows, and an FDD band's uplink. Frequencies are in kHz so raster
/// arithmetic is exact.
struct NRBand: Sendable {
    /// Operating band, `n78`.
    var name: String
    /// Downlink range F_DL_low – F_DL_high (Table 5.2-1), kHz.
    var downlinkKHz: ClosedRange<Int>
    /// Channel raster within the band (Table 5.4.2.3-1): first and last NR-ARFCN and the step
    /// <ΔN>. Where the band lists a 15 kHz and a 30 kHz raster, this is the 30 kHz one: its points
    /// are also on the 15 kHz raster, so a carrier placed there suits either subcarrier spacing.
    var firstNREF: Int
    var lastNREF: Int
    var step: Int
    /// BS channel bandwidths the band allows for some subcarrier spacing (Table 5.3.5-1), MHz.
    var channelBandwidthsMHz: [Int]
    /// An FDD band's uplink: its range F_UL_low – F_UL_high (Table 5.2-1), kHz, and its channel
    /// raster's first and last NR-ARFCN (Table 5.4.2.3-1, the same step as the downlink's). Nil for
    /// a TDD band, whose uplink is the downlink's carrier.
    var uplink: (kHz: ClosedRange<Int>, firstNREF: Int, lastNREF: Int)? = nil

    /// The downlink-to-uplink distance of an FDD band's paired carriers (F_DL_low − F_UL_low, the
    /// default Tx-Rx separation of TS 38.101-1 Table 5.4.4-1), kHz; nil for TDD.
    var duplexKHz: Int? { uplink.map { downlinkKHz.lowerBound - $0.kHz.lowerBound } }

    /// The bands Flowcast can configure, TS 38.104 V16. Bandwidths are the ones every release from
    /// 16 on allows; a band missing here makes the NRCellDU export fail, naming the band.
    static let known: [String: NRBand] = {
        let fdd = [5, 10, 15, 20]
        let bands = [
            NRBand(name: "n1", downlinkKHz: 2_110_000...2_170_000, firstNREF: 422_000, lastNREF: 434_000, step: 20, channelBandwidthsMHz: fdd,
                   uplink: (1_920_000...1_980_000, 384_000, 396_000)),
            NRBand(name: "n3", downlinkKHz: 1_805_000...1_880_000, firstNREF: 361_000, lastNREF: 376_000, step: 20,
                   channelBandwidthsMHz: [5, 10, 15, 20, 25, 30], uplink: (1_710_000...1_785_000, 342_000, 357_000)),
            NRBand(name: "n7", downlinkKHz: 2_620_000...2_690_000, firstNREF: 524_000, lastNREF: 538_000, step: 20, channelBandwidthsMHz: fdd,
                   uplink: (2_500_000...2_570_000, 500_000, 514_000)),
            NRBand(name: "n8", downlinkKHz: 925_000...960_000, firstNREF: 185_000, lastNREF: 192_000, step: 20, channelBandwidthsMHz: fdd,
                   uplink: (880_000...915_000, 176_000, 183_000)),
            // n20 is reversed: its uplink (832–862 MHz) lies above its downlink.
            NRBand(name: "n20", downlinkKHz: 791_000...821_000, firstNREF: 158_200, lastNREF: 164_200, step: 20, channelBandwidthsMHz: fdd,
                   uplink: (832_000...862_000, 166_400, 172_400)),
            NRBand(name: "n28", downlinkKHz: 758_000...803_000, firstNREF: 151_600, lastNREF: 160_600, step: 20, channelBandwidthsMHz: fdd,
                   uplink: (703_000...748_000, 140_600, 149_600)),
            NRBand(name: "n41", downlinkKHz: 2_496_000...2_690_000, firstNREF: 499_200, lastNREF: 537_996, step: 6,
                   channelBandwidthsMHz: [10, 15, 20, 40, 50, 60, 80, 100]),
            NRBand(name: "n77", downlinkKHz: 3_300_000...4_200_000, firstNREF: 620_000, lastNREF: 680_000, step: 2,
                   channelBandwidthsMHz: [10, 15, 20, 30, 40, 50, 60, 70, 80, 90, 100]),
            NRBand(name: "n78", downlinkKHz: 3_300_000...3_800_000, firstNREF: 620_000, lastNREF: 653_332, step: 2,
                   channelBandwidthsMHz: [10, 15, 20, 30, 40, 50, 60, 70, 80, 90, 100]),
            NRBand(name: "n79", downlinkKHz: 4_400_000...5_000_000, firstNREF: 693_334, lastNREF: 733_332, step: 2,
                   channelBandwidthsMHz: [40, 50, 60, 80, 100]),
        ]
        return Dictionary(uniqueKeysWithValues: bands.map { ($0.name, $0) })
    }()

    /// The global frequency raster (TS 38.104 Table 5.4.2.1-1) of the range holding `kHz`:
    /// ΔF_Global, F_REF-Offs and N_REF-Offs.
    static func globalRaster(atKHz kHz: Int) -> (deltaKHz: Int, offsetKHz: Int, offsetNREF: Int) {
        switch kHz {
        case ..<3_000_000: (5, 0, 0)
        case ..<24_250_000: (15, 3_000_000, 600_000)
        default: (60, 24_250_080, 2_016_667)
        }
    }

    /// F_REF = F_REF-Offs + ΔF_Global (N_REF − N_REF-Offs), kHz (TS 38.104 §5.4.2.1).
    static func frequencyKHz(nref: Int) -> Int {
        let (delta, offset, offsetN) = nref < 600_000 ? (5, 0, 0) : nref < 2_016_667 ? (15, 3_000_000, 600_000) : (60, 24_250_080, 2_016_667)
        return offset + delta * (nref - offsetN)
    }

    /// The point of this band's channel raster nearest `kHz` (a tie to the even raster index), clamped to the band's raster range.
    func nearestNREF(toKHz kHz: Double) -> Int {
        Self.nearestNREF(toKHz: kHz, first: firstNREF, last: lastNREF, step: step)
    }

    /// The uplink carrier paired with a downlink carrier centred at `downlinkKHz`: for FDD the
    /// point of the uplink raster nearest the centre moved by the duplex distance, for TDD the
    /// downlink's own point (one carrier both ways).
    func uplinkNREF(forDownlinkKHz downlinkKHz: Double) -> Int {
        guard let uplink, let duplex = duplexKHz else { return nearestNREF(toKHz: downlinkKHz) }
        return Self.nearestNREF(toKHz: downlinkKHz - Double(duplex), first: uplink.firstNREF, last: uplink.lastNREF, step: step)
    }

    static func nearestNREF(toKHz kHz: Double, first: Int, last: Int, step: Int) -> Int {
        let (delta, offset, offsetN) = globalRaster(atKHz: Int(kHz.rounded()))
        let exact = Double(offsetN) + (kHz - Double(offset)) / Double(delta)
        let k = ((exact - Double(first)) / Double(step)).rounded(.toNearestOrEven)
        return min(last, max(first, first + step * Int(k)))
    }

    /// Fewest carriers of allowed bandwidths that fill `widthMHz` exactly, widest first; nil when
    /// no sum of the band's bandwidths equals it.
    func carrierBandwidths(filling widthMHz: Double) -> [Int]? {
        let width = Int(widthMHz.rounded())
        guard width > 0, abs(Double(width) - widthMHz) < 1e-6 else { return nil }
        // fewest[w]: the fewest carriers summing to w MHz, and the widest one of them.
        var fewest: [(count: Int, widest: Int)?] = Array(repeating: nil, count: width + 1)
        fewest[0] = (0, 0)
        for w in 1...width {
            for bw in channelBandwidthsMHz.sorted(by: >) where bw <= w {
                guard let rest = fewest[w - bw] else { continue }
                if fewest[w] == nil || rest.count + 1 < fewest[w]!.count { fewest[w] = (rest.count + 1, bw) }
            }
        }
        guard fewest[width] != nil else { return nil }
        var out: [Int] = []
        var w = width
        while w > 0, let step = fewest[w] { out.append(step.widest); w -= step.widest }
        return out.sorted(by: >)
    }
}
