internal import FlowcastCore
internal import Foundation

/// Writes the demo scenario's radio KPI logs: one G-NetTrack-style log per cell (`Timestamp`,
/// `CQI`, `DL_bitrate`, one row a second over the capture's span), so the planner sizes each
/// cell by the efficiency its CQI reports measure instead of the configured peak.
///
/// The CQI process has the statistics of the public 5G traces (../shared/data/radio-5g; only
/// these summary figures are used, never the data), as measured on 58 of its 77 traces, 118 460
/// per-second reports (the measuring script's glob missed the 19 stored one folder shallower; an
/// audit found it, and the script now reads all): the pooled marginal distribution of the
/// per-second CQI (mean 11.1, sd 3.0) and its autocorrelation, 0.85 / 0.65 / 0.55 / 0.41 / 0.32
/// / 0.25 at 1 / 5 / 10 / 30 / 60 / 120 s, and how often the report changes from one second to
/// the next (26 % of seconds). Over all 77 (147 670 reports): mean 11.0, sd 3.0, 0.84 / 0.62 /
/// 0.53 / 0.39 / 0.29 / 0.22, 28 %: the fit is a little stickier at long lags. A latent
/// Gaussian, the sum of three AR(1) processes (weights 0.38 / 0.32 / 0.30, coefficients per
/// second 0.997 / 0.96 / 0), goes through the marginal's quantile function (a Gaussian copula),
/// and a new report is taken with probability 0.35 a second, else the last one is repeated:
/// simulated over 200 000 s that gives autocorrelation 0.87 / 0.65 / 0.57 / 0.42 / 0.32 / 0.23
/// and 28 % changes (`tools/analysis/demo-radio-stats.py` measures the traces and the fit). Each
/// cell's latent is shifted by a fixed offset, as trace means differ (their sd is 1.2 CQI steps):
/// cell-3, the hotspot, has the poorest radio conditions (over the demo's ten minutes its mean
/// CQI is 9.5, cell-6's 9.9, the others' 11.7–13.3). The offsets add spread between cells on top of the slow
/// component, so autocorrelation pooled over the six cells is higher at long lags than the
/// traces' (0.45 at 60 s over two hours). Around each trace's own mean the traces' is lower
/// (0.81 / 0.55 / 0.45 / 0.28 / 0.16 / 0.08), since the pooled figures the process keeps include
/// the spread between trace means: a synthetic cell cut into pieces as long as the traces gives
/// 0.86 / 0.61 / 0.51 / 0.35 / 0.25 / 0.17, so its CQI is about 1.5–2× as persistent at
/// 60–120 s as a real trace's (an audit; refitting would change the demo's committed logs).
public struct DemoRadioLogGenerator: Sendable {
    public var seed: UInt64 = 20_261_129
    public var durationSeconds = 600
    public var startSeconds: Int64 = 1_764_403_200  // the capture's start, 2025-11-29T08:00:00Z
    public var cells = 6

    public init() {}

    /// Share of per-second CQI reports at each index 0…15 in the public traces (sums to 1).
    static let marginal: [Double] = [0.0001, 0.0031, 0.0031, 0.0036, 0.0112, 0.0183, 0.0377, 0.0528, 0.0662, 0.0912,
                                     0.1129, 0.1181, 0.1193, 0.0620, 0.1642, 0.1361]
    static let components: [(weight: Double, coefficient: Double)] = [(0.38, 0.997), (0.32, 0.96), (0.30, 0)]
    /// Probability a second of taking a new report.
    static let reportProbability = 0.35
    /// Latent shift per cell (1-based), in latent standard deviations.
    static let offset: [Double] = [0, 0.4, 0.2, -1.2, 0.5, 0.1, -0.2]

    /// The file name of cell k's log (1-based), as the topology's `kpiSource` names it.
    public static func fileName(cell k: Int) -> String { "radio-cell-\(k).csv" }

    /// Writes one log per cell into `directory`; returns the paths written.
    @discardableResult
    public func write(to directory: String) throws -> [String] {
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        var paths: [String] = []
        for cell in 1...cells {
            let path = (directory as NSString).appendingPathComponent(Self.fileName(cell: cell))
            try AtomicFile.write(Array(text(cell: cell).utf8), to: path)
            paths.append(path)
        }
        return paths
    }

    /// CQI index per second for cell k (1-based).
    public func cqi(cell k: Int) -> [Int] {
        var rng = SplitMix64(seed: seed &+ UInt64(k) &* 0x9E37_79B9_7F4A_7C15)
        func gaussian() -> Double {
            let u = max(rng.nextDouble(), 1e-300), v = rng.nextDouble()
            return (-2 * Foundation.log(u)).squareRoot() * Foundation.cos(2 * Double.pi * v)
        }
        var state = Self.components.map { _ in gaussian() }  // each starts in its stationary law
        var cumulative: [Double] = []
        var sum = 0.0
        for p in Self.marginal { sum += p; cumulative.append(sum) }
        let shift = k < Self.offset.count ? Self.offset[k] : 0
        var out: [Int] = []
        for second in 0..<durationSeconds {
            var z = shift
            for (i, c) in Self.components.enumerated() {
                state[i] = c.coefficient * state[i] + (1 - c.coefficient * c.coefficient).squareRoot() * gaussian()
                z += c.weight.squareRoot() * state[i]
            }
            guard second == 0 || rng.nextDouble() < Self.reportProbability else {
                out.append(out[second - 1])
                continue
            }
            let u = 0.5 * Foundation.erfc(-z / 2.0.squareRoot()) * sum
            out.append(cumulative.firstIndex { $0 >= u } ?? Self.marginal.count - 1)
        }
        return out
    }

    /// Cell k's log as text. DL_bitrate (kbit/s) is left missing (`-`): the planner reads CQI.
    public func text(cell k: Int) -> String {
        let formatter = DateFormatter()
        formatter.locale = Locale(identifier: "en_US_POSIX")
        formatter.timeZone = TimeZone(identifier: "UTC")
        formatter.dateFormat = "yyyy.MM.dd_HH.mm.ss"
        var lines = ["Timestamp,CQI,DL_bitrate"]
        for (second, cqi) in cqi(cell: k).enumerated() {
            let time = formatter.string(from: Date(timeIntervalSince1970: Double(startSeconds + Int64(second))))
            lines.append("\(time),\(cqi),-")
        }
        return lines.joined(separator: "\n") + "\n"
    }
}
